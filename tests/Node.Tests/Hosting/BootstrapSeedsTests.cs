using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Crypto;
using Overlay.Dht.Persistence;
using Overlay.Node.Hosting;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Node.Tests.Hosting;

public sealed class BootstrapSeedsTests
{
    private static readonly Random Ids = new(17);
    private readonly VirtualTimeProvider _clock = new();
    private readonly Logs _logs = new();

    [Fact]
    public void Learn_UnpinnedAddress_PinsTheProvedIdentity_WarnsOnce_AndAsksForASave()
    {
        var seeds = Seeds("tcp://192.0.2.7:4001");
        seeds.Restore([]);
        var address = seeds.Configured[0];
        var peer = PeerId.Random(Ids);
        var saves = new List<BootstrapPin>();
        seeds.PinLearned += saves.Add;

        Assert.Null(seeds.PinnedAddress(address));
        var pinned = seeds.Learn(address, peer);
        seeds.Learn(address, peer);

        Assert.Equal(address.WithPeer(peer), pinned);
        Assert.Equal(address.WithPeer(peer), seeds.PinnedAddress(address));
        Assert.True(seeds.IsPinnedOnFirstUse(address));
        Assert.Equal(peer, Assert.Single(saves).Peer);
        var warning = Assert.Single(_logs.Warnings);
        Assert.Contains("pins no PeerId; trusting the identity it proved on first contact", warning, StringComparison.Ordinal);
        Assert.Contains(peer.ToString(), warning, StringComparison.Ordinal);
        var saved = Assert.Single(seeds.Pins());
        Assert.Equal(new BootstrapPin("tcp://192.0.2.7:4001", peer, _clock.GetUtcNow()), saved);
    }

    [Fact]
    public void Learn_AnotherIdentityAfterTheFirst_KeepsTheFirst()
    {
        var seeds = Seeds("tcp://192.0.2.7:4001");
        seeds.Restore([]);
        var address = seeds.Configured[0];
        var first = PeerId.Random(Ids);

        seeds.Learn(address, first);
        var second = seeds.Learn(address, PeerId.Random(Ids));

        Assert.Equal(first, second.ExpectedPeer);
        Assert.Equal(first, Assert.Single(seeds.Pins()).Peer);
    }

    [Fact]
    public void PinnedAddress_PinRestoredFromDisk_IsRequired_WarnedOncePerRun()
    {
        var seeds = Seeds("tcp://192.0.2.7:4001");
        var remembered = PeerId.Random(Ids);
        seeds.Restore([new BootstrapPin("tcp://192.0.2.7:4001", remembered, _clock.GetUtcNow())]);

        var first = seeds.PinnedAddress(seeds.Configured[0]);
        var again = seeds.PinnedAddress(seeds.Configured[0]);

        Assert.Equal(remembered, first!.ExpectedPeer);
        Assert.Equal(first, again);
        var warning = Assert.Single(_logs.Warnings);
        Assert.Contains("remembered in dht.db", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_AddressNowPinnedByTheConfiguration_ReplacesTheRememberedIdentity_WithoutWarning()
    {
        var configured = PeerId.Random(Ids);
        var seeds = Seeds($"tcp://192.0.2.7:4001/p2p/{configured}");
        seeds.Restore([new BootstrapPin("tcp://192.0.2.7:4001", PeerId.Random(Ids), _clock.GetUtcNow())]);

        Assert.Equal(configured, seeds.PinnedAddress(seeds.Configured[0])!.ExpectedPeer);
        Assert.Equal(configured, Assert.Single(seeds.Pins()).Peer);
        Assert.False(seeds.IsPinnedOnFirstUse(seeds.Configured[0]));
        Assert.Empty(_logs.Warnings);
    }

    [Fact]
    public async Task WaitRestoredAsync_BeforeRestore_WaitsUntilItAndHonoursCancellation()
    {
        var seeds = Seeds("tcp://192.0.2.7:4001");
        using var cancel = new CancellationTokenSource();
        var cancelled = seeds.WaitRestoredAsync(cancel.Token);
        var waiting = seeds.WaitRestoredAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        seeds.Restore([]);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public void DescribeFailures_KeepsTheLatestPerPeer_AndForgetsOnSuccess()
    {
        var seeds = Seeds("tcp://192.0.2.7:4001", "tcp://192.0.2.8:4001");
        seeds.RecordFailure(seeds.Configured[0], "first.");
        seeds.RecordFailure(seeds.Configured[0], "refused the connection (address_limit).");
        seeds.RecordFailure(seeds.Configured[1], "timed out.");
        seeds.RecordSuccess(seeds.Configured[1]);

        Assert.Equal("tcp://192.0.2.7:4001: refused the connection (address_limit)", seeds.DescribeFailures());
    }

    private BootstrapSeeds Seeds(params string[] addresses) =>
        new(Options.Create(new TransportOptions { BootstrapPeers = addresses }), _clock, _logs);

    private sealed class Logs : ILogger<BootstrapSeeds>
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Warnings.Add(formatter(state, exception));
            }
        }
    }
}
