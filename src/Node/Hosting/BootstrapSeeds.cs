using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Crypto;
using Overlay.Dht.Persistence;
using Overlay.Transport;

namespace Overlay.Node.Hosting;

/// <summary>
/// The configured bootstrap peers and whom each must be. An address given with <c>/p2p/PEERID</c> is
/// pinned by the configuration. One given without it is trusted on first use: the identity it proves
/// the first time it is dialled is remembered (saved in <c>dht.db</c>) and required from then on,
/// as SSH does with host keys; the operator is warned once per run that the address is unpinned.
/// The last failure of each peer is kept, so a node that cannot join can say why. Thread-safe.
/// </summary>
public sealed class BootstrapSeeds
{
    private readonly ILogger<BootstrapSeeds> _logger;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private readonly Dictionary<string, BootstrapPin> _pins = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _failures = new(StringComparer.Ordinal);
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);
    // Plain continuations (completed outside the lock): a simulated node's waiter resumes on its scheduler, in order.
    private readonly TaskCompletionSource _restored = new();

    public BootstrapSeeds(IOptions<TransportOptions> options, TimeProvider time, ILogger<BootstrapSeeds> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        _logger = logger;
        var configured = new List<TransportAddress>();
        foreach (var text in options.Value.BootstrapPeers)
        {
            configured.Add(TransportAddress.Parse(text));
        }

        Configured = configured;
    }

    /// <summary>The bootstrap addresses as configured, in order.</summary>
    public IReadOnlyList<TransportAddress> Configured { get; }

    /// <summary>Raised (outside any lock) when an unpinned address proved an identity for the first time; the DHT saves it.</summary>
    public event Action<BootstrapPin>? PinLearned;

    /// <summary>
    /// Takes the pins saved in <c>dht.db</c>. Until this is called, unpinned addresses are not dialled
    /// (<see cref="WaitRestoredAsync"/>), so the first dial after a restart cannot trust a new identity.
    /// A pin that the configuration now states explicitly gives way to it.
    /// </summary>
    public void Restore(IEnumerable<BootstrapPin> saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        lock (_lock)
        {
            foreach (var pin in saved)
            {
                _pins.TryAdd(pin.Address, pin);
            }

            foreach (var address in Configured)
            {
                if (address.ExpectedPeer is { } peer)
                {
                    var key = Key(address);
                    _pins[key] = new BootstrapPin(key, peer, _pins.TryGetValue(key, out var old) ? old.FirstSeen : _time.GetUtcNow());
                }
            }
        }

        _restored.TrySetResult();
    }

    /// <summary>Completes once <see cref="Restore"/> ran, or is cancelled.</summary>
    public async Task WaitRestoredAsync(CancellationToken cancellationToken)
    {
        if (_restored.Task.IsCompleted)
        {
            return;
        }

        // Plain awaits only (no Task.WaitAsync): the same code runs on a virtual-time scheduler.
        var cancelled = new TaskCompletionSource();
        await using (cancellationToken.Register(() => cancelled.TrySetCanceled(cancellationToken)).ConfigureAwait(true))
        {
            await (await Task.WhenAny(_restored.Task, cancelled.Task).ConfigureAwait(true)).ConfigureAwait(true);
        }
    }

    /// <summary>
    /// The address to dial for <paramref name="configured"/>: itself when it pins a PeerId, else pinned to
    /// the identity it proved on first use, else null (not dialled yet: dial it unpinned and call <see cref="Learn"/>).
    /// </summary>
    public TransportAddress? PinnedAddress(TransportAddress configured)
    {
        ArgumentNullException.ThrowIfNull(configured);
        if (configured.ExpectedPeer is not null)
        {
            return configured;
        }

        var key = Key(configured);
        lock (_lock)
        {
            if (!_pins.TryGetValue(key, out var pin))
            {
                return null;
            }

            if (_warned.Add(key))
            {
                Log.BootstrapUnpinnedRemembered(_logger, key, pin.Peer, configured.WithPeer(pin.Peer));
            }

            return configured.WithPeer(pin.Peer);
        }
    }

    /// <summary>
    /// Remembers that the unpinned <paramref name="configured"/> proved <paramref name="peer"/> (trust on
    /// first use) and warns once. An address that already has a pin keeps it; the pinned address is returned.
    /// </summary>
    public TransportAddress Learn(TransportAddress configured, PeerId peer)
    {
        ArgumentNullException.ThrowIfNull(configured);
        var key = Key(configured);
        bool learned;
        BootstrapPin pin;
        lock (_lock)
        {
            learned = _pins.TryAdd(key, new BootstrapPin(key, peer, _time.GetUtcNow()));
            pin = _pins[key];
            if (learned && _warned.Add(key))
            {
                Log.BootstrapUnpinnedTrusted(_logger, key, pin.Peer, configured.WithPeer(pin.Peer));
            }
        }

        if (learned)
        {
            PinLearned?.Invoke(pin);
        }

        return configured.WithPeer(pin.Peer);
    }

    /// <summary>Whether dials to <paramref name="configured"/> are pinned by trust on first use rather than by the configuration.</summary>
    public bool IsPinnedOnFirstUse(TransportAddress configured)
    {
        ArgumentNullException.ThrowIfNull(configured);
        lock (_lock)
        {
            return configured.ExpectedPeer is null && _pins.ContainsKey(Key(configured));
        }
    }

    /// <summary>Every pin, for saving.</summary>
    public IReadOnlyList<BootstrapPin> Pins()
    {
        lock (_lock)
        {
            return [.. _pins.Values];
        }
    }

    /// <summary>Keeps the latest failure of <paramref name="configured"/> for <see cref="DescribeFailures"/>.</summary>
    public void RecordFailure(TransportAddress configured, string reason)
    {
        ArgumentNullException.ThrowIfNull(configured);
        lock (_lock)
        {
            _failures[Key(configured)] = reason;
        }
    }

    /// <summary>Forgets the failure of a peer that answered.</summary>
    public void RecordSuccess(TransportAddress configured)
    {
        ArgumentNullException.ThrowIfNull(configured);
        lock (_lock)
        {
            _failures.Remove(Key(configured));
        }
    }

    /// <summary>The latest failure of each bootstrap peer that has one, as one sentence; empty when none has.</summary>
    public string DescribeFailures()
    {
        lock (_lock)
        {
            return string.Join("; ", _failures.Select(f => $"{f.Key}: {f.Value.TrimEnd('.')}"));
        }
    }

    private static string Key(TransportAddress address) => address.WithPeer(null).ToString();
}
