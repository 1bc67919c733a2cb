using System.Buffers;
using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Dht.Persistence;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;
using Overlay.Dht.Wire;
using Overlay.Transport.InMemory;

namespace Overlay.Dht.Tests.Persistence;

/// <summary>
/// The journal commits what is queued together, in order, and nothing is acknowledged before its save:
/// not a put of this node's own, not a STORE from a peer.
/// </summary>
public sealed class DhtStateJournalTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);
    private readonly NodeIdentity _identity = NodeIdentity.FromRandom(new Random(61));
    private readonly Meter _meter = new("Overlay.Dht.Tests.Journal." + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        _identity.Dispose();
        _meter.Dispose();
    }

    [Fact]
    public async Task WriteAsync_WhileACommitRuns_QueuedWritesShareTheNextCommit_InOrder()
    {
        var store = new GatedStore();
        using var journal = new DhtStateJournal(store);
        var first = journal.WriteAsync(DhtStateChange.RemoveRecord(Key(0)));
        Assert.True(store.Entered.Wait(Guard, TestContext.Current.CancellationToken), "the writer did not start the first commit");

        // The first commit is held open; everything queued meanwhile waits, unacknowledged.
        var rest = Enumerable.Range(1, 99).Select(i => journal.WriteAsync(DhtStateChange.RemoveRecord(Key(i)))).ToList();
        Assert.False(first.IsCompleted);
        Assert.All(rest, t => Assert.False(t.IsCompleted));
        store.Release.Set();
        await Task.WhenAll(rest.Append(first)).WaitAsync(Guard, TestContext.Current.CancellationToken);

        Assert.Equal([1, 99], store.Batches.Select(b => b.Count));
        Assert.Equal(Enumerable.Range(0, 100).Select(Key), store.Batches.SelectMany(b => b).Select(c => c.Key));
        Assert.Equal(2, journal.Groups);
        Assert.Equal(100, journal.Changes);
    }

    [Fact]
    public async Task WriteAsync_WhenTheStoreFails_FaultsThatGroupOnly_AndLaterWritesAreSaved()
    {
        var store = new GatedStore { FailNext = true };
        store.Release.Set();
        using var journal = new DhtStateJournal(store);

        var failed = journal.WriteAsync(DhtStateChange.RemoveRecord(Key(1)));
        var error = await Assert.ThrowsAsync<DhtStateException>(() => failed.WaitAsync(Guard, TestContext.Current.CancellationToken));
        Assert.Equal(DhtStateError.Io, error.Reason);

        await journal.WriteAsync(DhtStateChange.RemoveRecord(Key(2))).WaitAsync(Guard, TestContext.Current.CancellationToken);
        Assert.Equal(Key(2), Assert.Single(store.Batches.Last()).Key);
    }

    [Fact]
    public async Task Dispose_SavesWhatIsQueued_ThenRefusesWrites()
    {
        var store = new GatedStore();
        var journal = new DhtStateJournal(store);
        var queued = Enumerable.Range(0, 10).Select(i => journal.WriteAsync(DhtStateChange.RemoveRecord(Key(i)))).ToList();
        store.Release.Set();
        journal.Dispose();

        Assert.All(queued, t => Assert.True(t.IsCompletedSuccessfully));
        Assert.Equal(10, store.Batches.Sum(b => b.Count));
        await Assert.ThrowsAsync<DhtStateException>(() => journal.WriteAsync(DhtStateChange.RemoveRecord(Key(11))));
    }

    [Fact]
    public async Task PutAsync_IsNotAcknowledgedBeforeTheRecordIsSaved()
    {
        var journal = new HeldJournal();
        var node = LoneNode(journal);

        var put = node.PutAsync(Key(7), "kept"u8.ToArray(), TestContext.Current.CancellationToken);

        // A node that knows no peers has nothing to wait for in the network: only the save holds the put.
        Assert.False(put.IsCompleted);
        var change = Assert.Single(journal.Changes);
        Assert.Equal(DhtStateChangeKind.StoreRecord, change.Kind);
        Assert.Equal(Key(7), change.Record.Record.Key);
        Assert.True(change.Record.PublishedLocally);
        journal.Complete();
        var result = await put.WaitAsync(Guard, TestContext.Current.CancellationToken);
        Assert.True(result.Succeeded);
        Assert.Equal(0, result.Required);
    }

    [Fact]
    public async Task PutAsync_WhenTheSaveFails_ThrowsInsteadOfAcknowledging()
    {
        var journal = new HeldJournal();
        var node = LoneNode(journal);
        var put = node.PutAsync(Key(8), "lost"u8.ToArray(), TestContext.Current.CancellationToken);
        journal.Fail();
        await Assert.ThrowsAsync<DhtStateException>(() => put.WaitAsync(Guard, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Store_FromAPeer_IsAnsweredOnlyOnceSaved_AndAFailedSaveIsAnInternalError()
    {
        var options = new DhtOptions();
        var clock = new VirtualTimeProvider(T0);
        var journal = new HeldJournal();
        var store = new RecordStore(options, new RecordValidator(options, new IdentityRecordVerifier()));
        var handler = new DhtRequestHandler(new RoutingTable(Key(0), options, T0), store, new PeerRateLimiter(options), options, clock,
            new DhtMetrics(_meter), () => (default, 1.0), pingRequired: null, journal);
        var buffer = new byte[16 * 1024];

        async Task<DhtMessage> StoreAsync(DhtRecord record, Action release)
        {
            var response = new ArrayBufferWriter<byte>();
            var serving = handler.ServeAsync(Key(99), buffer.AsSpan(0, DhtMessageCodec.WriteStoreRequest(buffer, null, record)), response).AsTask();
            Assert.False(serving.IsCompleted);
            Assert.Equal(0, response.WrittenCount);
            release();
            await serving.WaitAsync(Guard, TestContext.Current.CancellationToken);
            Assert.True(DhtMessageCodec.TryDecode(response.WrittenSpan, options, out var answer, out _));
            return answer;
        }

        var kept = await StoreAsync(Sign(Key(1), "held for a peer"), journal.Complete);
        Assert.Equal(DhtMessageType.Stored, kept.Type);
        Assert.Equal(RecordRejection.None, kept.Verdict);
        var saved = journal.Changes.Last();
        Assert.Equal(DhtStateChangeKind.StoreRecord, saved.Kind);
        Assert.False(saved.Record.PublishedLocally);

        var failed = await StoreAsync(Sign(Key(2), "not saved"), journal.Fail);
        Assert.Equal(DhtMessageType.Error, failed.Type);
        Assert.Equal(DhtErrorCode.Internal, failed.ErrorCode);
    }

    private DhtNode LoneNode(IDhtStateJournal journal)
    {
        var clock = new VirtualTimeProvider(T0);
        var net = new InMemoryNetwork(clock, seed: 1);
        return new DhtNode(_identity, new DhtOptions(), clock, new Random(1), h => net.CreateNode(_identity.PeerId, h), journal: journal);
    }

    private DhtRecord Sign(PeerId key, string value) =>
        DhtRecord.Create(key, System.Text.Encoding.UTF8.GetBytes(value), _identity.PublicKey.Encoded, 1, T0.AddHours(1), p => _identity.Sign(p));

    private static PeerId Key(int i)
    {
        var bytes = new byte[PeerId.Size];
        bytes[0] = (byte)i;
        bytes[1] = (byte)(i >> 8);
        return PeerId.FromBytes(bytes);
    }

    /// <summary>A store whose commits wait for <see cref="Release"/>, and that records each batch.</summary>
    private sealed class GatedStore : IDhtStateStore
    {
        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public List<List<DhtStateChange>> Batches { get; } = [];

        public bool FailNext { get; set; }

        public string Path => "gated";

        public DhtStateLoadResult Load(DateTimeOffset now) => new(DhtSnapshot.Empty, [], 0);

        public void Apply(IReadOnlyList<DhtStateChange> changes)
        {
            Entered.Set();
            Release.Wait();
            if (FailNext)
            {
                FailNext = false;
                throw new DhtStateException(DhtStateError.Io, "The disk is full.");
            }

            lock (Batches)
            {
                Batches.Add([.. changes]);
            }
        }

        public void Dispose()
        {
            Entered.Dispose();
            Release.Dispose();
        }
    }

    /// <summary>A journal whose writes complete (or fail) only when the test says so.</summary>
    private sealed class HeldJournal : IDhtStateJournal
    {
        private TaskCompletionSource _pending = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<DhtStateChange> Changes { get; } = [];

        public Task WriteAsync(DhtStateChange change)
        {
            Changes.Add(change);
            return _pending.Task;
        }

        public void Complete() => Next().SetResult();

        public void Fail() => Next().SetException(new DhtStateException(DhtStateError.Io, "The disk is full."));

        private TaskCompletionSource Next()
        {
            var done = _pending;
            _pending = new(TaskCreationOptions.RunContinuationsAsynchronously);
            return done;
        }
    }
}
