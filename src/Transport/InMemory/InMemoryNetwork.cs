using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;

namespace Overlay.Transport.InMemory;

/// <summary>
/// A simulated network of in-process nodes on one <see cref="VirtualTimeProvider"/>, driven by
/// one <see cref="DeterministicScheduler"/>. Links have latency, jitter, loss (as retransmission
/// delay), bandwidth and partitions; every random choice comes from one seeded
/// <see cref="System.Random"/>, so one seed gives one event order. Node i gets the virtual address
/// 10.x.y.z numbered from i. Not thread-safe: drive it from <see cref="Run"/> or <see cref="RunFor"/>.
/// </summary>
public sealed class InMemoryNetwork
{
    private readonly ILatencyModel _latency;
    private readonly Dictionary<(IPAddress Host, int Port), InMemoryListener> _listeners = [];
    private readonly Dictionary<IPAddress, InMemoryTransport> _nodesByHost = [];
    private readonly List<InMemoryTransport> _nodes = [];
    private readonly Dictionary<(int From, int To), LinkProfile> _overrides = [];
    private readonly List<string>? _events;
    private readonly bool _failOnForeignPosts;
    private Dictionary<int, int>? _partitionGroup;
    private TimeSpan? _deadHostDialDelay;

    /// <summary>Creates a network.</summary>
    /// <param name="clock">The virtual clock every node uses.</param>
    /// <param name="seed">Seed of the network's random source.</param>
    /// <param name="latency">Link model; default: instant links.</param>
    /// <param name="recordEvents">Keep an <see cref="EventLog"/> of every delivery (tests of determinism).</param>
    /// <param name="digestEvents">Keep a <see cref="Digest"/> of every delivery (to compare runs in different processes).</param>
    /// <param name="failOnForeignPosts">
    /// <see cref="Run"/> and <see cref="RunFor"/> fail when a continuation came back to the scheduler from another thread while they ran
    /// (<see cref="DeterministicScheduler.ForeignPosts"/>): the run would not be reproducible.
    /// </param>
    public InMemoryNetwork(VirtualTimeProvider clock, int seed, ILatencyModel? latency = null, bool recordEvents = false, bool digestEvents = false, bool failOnForeignPosts = false)
    {
        _failOnForeignPosts = failOnForeignPosts;
        Clock = clock;
        Random = new Random(seed);
        _latency = latency ?? new UniformLatencyModel(LinkProfile.Instant);
        _events = recordEvents ? [] : null;
        Digest = digestEvents ? new DeliveryDigest() : null;
    }

    /// <summary>The network's clock.</summary>
    public VirtualTimeProvider Clock { get; }

    /// <summary>The scheduler the network and its nodes run on.</summary>
    public DeterministicScheduler Scheduler { get; } = new();

    /// <summary>The seeded random source for all the network's choices.</summary>
    public Random Random { get; }

    /// <summary>Every delivery as "ticks from->to bytes", when recording was asked for.</summary>
    public IReadOnlyList<string> EventLog => _events ?? [];

    /// <summary>The digest of every delivery, when it was asked for.</summary>
    public DeliveryDigest? Digest { get; }

    /// <summary>
    /// How long a dial to the address of a node that is gone (killed, or shut down) takes to fail. On a
    /// real network nothing answers a dead host, so the dialler waits out its handshake timeout; a live
    /// host with nothing on the port still refuses at once. Null (the default): the dialling node's
    /// <see cref="TransportOptions.HandshakeTimeout"/>, as in the daemon; <see cref="TimeSpan.Zero"/>:
    /// at once, for comparisons with an idealised network.
    /// </summary>
    public TimeSpan? DeadHostDialDelay
    {
        get => _deadHostDialDelay;
        set
        {
            if (value is { } v)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(v, TimeSpan.Zero, nameof(DeadHostDialDelay));
            }

            _deadHostDialDelay = value;
        }
    }

    /// <summary>Segments delivered so far.</summary>
    public long SegmentsDelivered { get; private set; }

    /// <summary>Bytes delivered so far.</summary>
    public long BytesDelivered { get; private set; }

    /// <summary>
    /// Adds a node with identity <paramref name="peer"/> serving <paramref name="protocols"/>.
    /// Its address is <see cref="InMemoryTransport.Host"/>; it listens once <see cref="ITransport.ListenAsync"/> is called.
    /// </summary>
    public InMemoryTransport CreateNode(PeerId peer, ProtocolDispatcher protocols, TransportOptions? options = null, ILogger? logger = null)
    {
        var index = _nodes.Count;
        var host = new IPAddress(new byte[] { 10, (byte)(index >> 16), (byte)(index >> 8), (byte)index });
        var node = new InMemoryTransport(this, index, host, peer, protocols, options ?? new TransportOptions(), logger ?? NullLogger.Instance);
        _nodes.Add(node);
        _nodesByHost.Add(host, node);
        return node;
    }

    /// <summary>Overrides the profile of the direction from node <paramref name="from"/> to node <paramref name="to"/>.</summary>
    public void SetLink(InMemoryTransport from, InMemoryTransport to, LinkProfile profile)
        => _overrides[(from.Index, to.Index)] = profile;

    /// <summary>
    /// Splits the network: nodes in different groups cannot reach each other; segments sent across
    /// break their connection and dials fail with <see cref="TransportError.PeerUnreachable"/>.
    /// Nodes in no group form one more group.
    /// </summary>
    public void Partition(params IReadOnlyList<InMemoryTransport>[] groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _partitionGroup = [];
        for (var g = 0; g < groups.Length; g++)
        {
            foreach (var node in groups[g])
            {
                _partitionGroup[node.Index] = g + 1;
            }
        }
    }

    /// <summary>Removes every partition.</summary>
    public void Heal() => _partitionGroup = null;

    /// <summary>
    /// Runs <paramref name="body"/> on the scheduler, advancing virtual time to the next timer
    /// whenever nothing is runnable, until the body completes. Fails with <see cref="TimeoutException"/>
    /// after <paramref name="wallClockLimit"/> (default 30 s) of real time, so a bug fails fast; with
    /// <c>failOnForeignPosts</c>, fails with <see cref="InvalidOperationException"/> after a body that
    /// completed if a continuation came back from another thread meanwhile.
    /// </summary>
    public void Run(Func<Task> body, TimeSpan? wallClockLimit = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        var limit = wallClockLimit ?? TimeSpan.FromSeconds(30);
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(Scheduler);
        Scheduler.Pump();
        var foreignBefore = Scheduler.ForeignPosts;
        try
        {
            var sw = Stopwatch.StartNew();
            var task = body();
            while (!task.IsCompleted)
            {
                if (sw.Elapsed > limit)
                {
                    throw new TimeoutException($"The simulated run did not finish within {limit} of real time (virtual time {Clock.Elapsed}).");
                }

                if (Scheduler.RunPending() > 0 || task.IsCompleted)
                {
                    continue;
                }

                if (Clock.TryGetNextDue(out var due))
                {
                    Clock.AdvanceTo(due);
                    continue;
                }

                // Nothing runnable and no timer: only work from another thread can unblock the body.
                Scheduler.WaitForWork(TimeSpan.FromMilliseconds(50));
            }

            Scheduler.RunPending();
            task.GetAwaiter().GetResult();
            ThrowIfForeignPostsSince(foreignBefore);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    /// <summary>
    /// Runs the network for <paramref name="duration"/> of virtual time, firing everything due; with
    /// <c>failOnForeignPosts</c>, fails as <see cref="Run"/> does if a continuation came back from another thread meanwhile.
    /// </summary>
    public void RunFor(TimeSpan duration)
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(Scheduler);
        Scheduler.Pump();
        var foreignBefore = Scheduler.ForeignPosts;
        try
        {
            var target = Clock.Elapsed + duration;
            while (true)
            {
                Scheduler.RunPending();
                if (Clock.TryGetNextDue(out var due) && due <= target)
                {
                    Clock.AdvanceTo(due);
                    continue;
                }

                break;
            }

            Clock.AdvanceTo(target);
            Scheduler.RunPending();
            ThrowIfForeignPostsSince(foreignBefore);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    private void ThrowIfForeignPostsSince(long foreignBefore)
    {
        var foreign = Scheduler.ForeignPosts - foreignBefore;
        if (_failOnForeignPosts && foreign != 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{foreign} continuation(s) came back to the scheduler from another thread during the run (an await on the thread pool: Task.WhenAny, Task.WaitAsync, SemaphoreSlim.WaitAsync with a token); the run is not reproducible."));
        }
    }

    internal InMemoryTransport? NodeAt(IPAddress host) => _nodesByHost.GetValueOrDefault(host);

    internal void AddListener(InMemoryListener listener)
    {
        var key = (listener.LocalAddress.Host, listener.LocalAddress.Port);
        if (!_listeners.TryAdd(key, listener))
        {
            throw new TransportException(TransportError.LimitExceeded, $"{listener.LocalAddress} is already bound.");
        }
    }

    internal void RemoveListener(InMemoryListener listener)
        => _listeners.Remove((listener.LocalAddress.Host, listener.LocalAddress.Port));

    internal InMemoryListener? FindListener(TransportAddress address)
        => _listeners.GetValueOrDefault((address.Host, address.Port));

    internal bool Reachable(int from, int to)
        => _partitionGroup is null || _partitionGroup.GetValueOrDefault(from) == _partitionGroup.GetValueOrDefault(to);

    internal LinkProfile LinkOf(int from, int to)
        => _overrides.TryGetValue((from, to), out var p) ? p : _latency.GetLink(from, to);

    /// <summary>The one-way delay of one segment, drawn from the link's jitter and loss.</summary>
    internal TimeSpan DelayOf(int from, int to)
    {
        var link = LinkOf(from, to);
        var delay = link.Latency;
        if (link.Jitter > TimeSpan.Zero)
        {
            delay += TimeSpan.FromTicks((long)((Random.NextDouble() * 2 - 1) * link.Jitter.Ticks));
            if (delay < TimeSpan.Zero)
            {
                delay = TimeSpan.Zero;
            }
        }

        // A reliable stream turns loss into delay; after 16 losses in a row the retransmissions
        // would have given up, which the keep-alive timeout then reports.
        for (var i = 0; i < 16 && link.LossRate > 0 && Random.NextDouble() < link.LossRate; i++)
        {
            delay += link.RetransmissionTimeout;
        }

        return delay;
    }

    internal void Record(int from, int to, int bytes, InMemoryLink.SegmentKind what)
    {
        SegmentsDelivered++;
        BytesDelivered += bytes;
        Digest?.Add(Clock.Elapsed.Ticks, from, to, (byte)what, bytes);
        _events?.Add(string.Create(CultureInfo.InvariantCulture, $"{Clock.Elapsed.Ticks} {from}->{to} {what} {bytes}"));
    }
}
