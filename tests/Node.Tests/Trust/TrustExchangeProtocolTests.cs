using System.Buffers;
using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Node.Trust;
using Overlay.Placement;
using Overlay.Placement.Capacity;
using Overlay.Placement.Trust;
using Overlay.Transport;
using Overlay.Transport.InMemory;
using Overlay.Transport.Interactions;
using static Overlay.Node.Tests.Trust.TrustTestData;

namespace Overlay.Node.Tests.Trust;

/// <summary><c>trust/1</c> between two in-memory nodes: what a pull fetches, and what bad requests and bad answers cost.</summary>
public sealed class TrustExchangeProtocolTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly Meter _meter = new("test.trust.exchange");
    private readonly NodeIdentity[] _ids = Enumerable.Range(101, 6).Select(Identity).ToArray();

    public void Dispose()
    {
        _meter.Dispose();
        foreach (var id in _ids)
        {
            id.Dispose();
        }
    }

    [Fact]
    public void Pull_FetchesWhatItLacks_OncePerVersion_WithKeysOnlyTheFirstTime()
    {
        using var s = new Scenario(this);
        var pulls = new List<TrustPullResult>();
        s.Run(async () =>
        {
            pulls.Add(await s.PullAsync());
            pulls.Add(await s.PullAsync());
            // One issuer publishes a newer row: the next pull fetches that one only, without its key.
            await Task.Delay(TimeSpan.FromMinutes(5), s.Clock);
            s.Offer(_ids[2], s.Clock.GetUtcNow(), 4);
            pulls.Add(await s.PullAsync());
        });

        Assert.All(pulls, p => Assert.Equal(InteractionResult.Succeeded, p.Result));
        // The responder's own record and the three it holds.
        Assert.Equal(4, pulls[0].Accepted);
        Assert.Equal(0, pulls[1].RecordsFetched);
        Assert.Equal(1, pulls[2].Accepted);
        Assert.Equal(4, s.Asker.Book.Count);
        Assert.Equal(4, s.Asker.Book.Find(_ids[2].PeerId)!.Vector.Count);
        // Keys travel once: the second fetch of an issuer is the record alone.
        var recordBytes = TrustRecordCodec.EncodedLength(s.Asker.Book.Find(_ids[2].PeerId)!);
        Assert.True(pulls[2].BytesReceived < recordBytes + 200 + (40 * 4) + 10, $"{pulls[2].BytesReceived} bytes for one record of {recordBytes}");
        Assert.True(pulls[0].BytesReceived > 4 * IdentityPublicKey.HybridEncodedSize);
    }

    [Fact]
    public void Handler_RandomAndMutatedRequests_AnsweredMalformedAndCounted_ThenStillServes()
    {
        using var s = new Scenario(this);
        var random = new Random(91);
        var statuses = new Dictionary<TrustExchangeStatus, int>();
        s.Run(async () =>
        {
            var valid = new[] { TrustExchangeCodec.InventoryRequest(null), TrustExchangeCodec.RecordsRequest([new TrustRecordWant(_ids[2].PeerId, true)]) };
            for (var i = 0; i < 1_500; i++)
            {
                byte[] request;
                if (i % 3 == 0)
                {
                    request = (byte[])valid[i % 2].Clone();
                    request[random.Next(request.Length)] ^= (byte)(1 + random.Next(255));
                }
                else
                {
                    request = new byte[random.Next(0, 80)];
                    random.NextBytes(request);
                }

                using var answer = await s.Connection.RequestAsync(ProtocolIds.Trust, request);
                Assert.True(TrustExchangeCodec.TryReadStatus(answer.Payload.Span, out var status));
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
            }

            using var after = await s.Connection.RequestAsync(ProtocolIds.Trust, TrustExchangeCodec.InventoryRequest(null));
            Assert.True(TrustExchangeCodec.TryReadInventory(after.Payload.Span, out var entries, out _));
            Assert.Equal(4, entries.Length);
        });

        Assert.True(statuses[TrustExchangeStatus.Malformed] > 1_000);
        Assert.Equal(statuses[TrustExchangeStatus.Malformed], s.Metrics.ServedTotal(TrustExchangeStatus.Malformed));
    }

    [Fact]
    public void Handler_PeerPastItsHourlyBytes_IsRateLimited_AndServedAgainAnHourLater()
    {
        using var s = new Scenario(this, new PlacementOptions { TrustServeBytesPerPeerPerHour = 1 << 20 });
        var limited = 0;
        TrustPullResult? refused = null, later = null;
        s.Run(async () =>
        {
            // Each request costs at least 1 KiB: 1 MiB an hour is about a thousand of them.
            for (var i = 0; i < 1_100; i++)
            {
                using var answer = await s.Connection.RequestAsync(ProtocolIds.Trust, TrustExchangeCodec.InventoryRequest(null));
                limited += answer.Payload.Span[0] == (byte)TrustExchangeStatus.RateLimited ? 1 : 0;
            }

            refused = await s.PullAsync();
            await Task.Delay(TimeSpan.FromHours(1), s.Clock);
            later = await s.PullAsync();
        });

        Assert.InRange(limited, 50, 100);
        Assert.Equal(InteractionResult.Refused, refused!.Result);
        Assert.Equal(InteractionResult.Succeeded, later!.Result);
        Assert.Equal(4, later.Accepted);
    }

    [Theory]
    [InlineData("random answers")]
    [InlineData("forged record")]
    [InlineData("claims the request was malformed")]
    public void Pull_FromALyingRelay_IsAnInvalidReply_AndNothingEntersTheBook(string lie)
    {
        using var s = new Scenario(this, liar: lie);
        TrustPullResult? pull = null;
        s.Run(async () => pull = await s.PullAsync());

        Assert.Equal(InteractionResult.InvalidReply, pull!.Result);
        Assert.Equal(0, s.Asker.Book.Count);
        if (lie == "forged record")
        {
            Assert.Equal(1, s.Asker.Book.Metrics.RecordsRejected(TrustRecordRejection.BadSignature));
        }
    }

    [Fact]
    public void Decoders_SeededRandomAndMutatedAnswers_NeverThrow()
    {
        var random = new Random(93);
        var inventory = new ArrayBufferWriter<byte>();
        TrustExchangeCodec.WriteInventory(inventory, [new TrustInventoryEntry(_ids[0].PeerId, 1), new TrustInventoryEntry(_ids[1].PeerId, 2)], more: true);
        var records = new ArrayBufferWriter<byte>();
        TrustExchangeCodec.WriteRecords(records, [new TrustRecordDelivery(_ids[0].PublicKey.Encoded.ToArray(), new byte[100])]);
        var capacity = new ArrayBufferWriter<byte>();
        CapacityExchangeCodec.WriteAnswer(capacity, _ids[0].PublicKey.Encoded, new byte[120]);
        var valid = new[]
        {
            inventory.WrittenMemory.ToArray(), records.WrittenMemory.ToArray(), TrustExchangeCodec.InventoryRequest(_ids[0].PeerId), capacity.WrittenMemory.ToArray(),
        };
        Assert.True(CapacityExchangeCodec.TryReadAnswer(valid[3], out var carriedKey, out var carried) && carriedKey.Length == IdentityPublicKey.HybridEncodedSize && carried.Length == 120);
        Assert.True(TrustExchangeCodec.TryReadInventory(valid[0], out var listed, out var more) && listed.Length == 2 && more);
        Assert.True(TrustExchangeCodec.TryReadRecords(valid[1], 200, out var delivered) && delivered.Length == 1);
        for (var i = 0; i < 20_000; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                bytes = (byte[])valid[(i / 2) % valid.Length].Clone();
                bytes[random.Next(bytes.Length)] ^= (byte)(1 + random.Next(255));
            }
            else
            {
                bytes = new byte[random.Next(0, 300)];
                random.NextBytes(bytes);
            }

            _ = TrustExchangeCodec.TryReadStatus(bytes, out _);
            _ = TrustExchangeCodec.TryReadInventory(bytes, out _, out _);
            _ = TrustExchangeCodec.TryReadRecords(bytes, 200, out _);
            _ = TrustExchangeCodec.TryReadInventoryRequest(bytes, out _);
            _ = TrustExchangeCodec.TryReadRecordsRequest(bytes, out _);
            _ = CapacityExchangeCodec.TryReadAnswer(bytes, out _, out _);
            _ = CapacityExchangeCodec.TryReadRequest(bytes, out _);
        }

        // A declared record longer than the asker accepts is refused before it is sliced.
        Assert.False(TrustExchangeCodec.TryReadRecords(valid[1], 99, out _));
    }


    /// <summary>
    /// The asker (_ids[0]) and the responder (_ids[1]) on one in-memory network. The responder holds its own record and
    /// those of _ids[2..4]; the asker pre-trusts all of them, so only the records' own checks decide.
    /// </summary>
    [Fact]
    public void AskCapacity_TakesThePeersSignedClaim_WithItsKeyOnce_ThenTheSameVersionAgainCostsNothing()
    {
        using var s = new Scenario(this);
        var asks = new List<CapacityPullResult>();
        s.Run(async () =>
        {
            asks.Add(await s.AskCapacityAsync());
            asks.Add(await s.AskCapacityAsync());
        });

        Assert.Equal(InteractionResult.Succeeded, asks[0].Result);
        Assert.Equal(CapacityRecordRejection.None, asks[0].Verdict);
        Assert.Equal(3L << 30, s.AskerCapacity.FreeBytesFor(_ids[1].PeerId, Start, unknown: 1));
        // The second ask does not want the key, and the record has not been re-signed within the interval.
        Assert.True(asks[1].BytesReceived < asks[0].BytesReceived - IdentityPublicKey.HybridEncodedSize + 10);
        Assert.Equal(CapacityRecordRejection.Replayed, asks[1].Verdict);
        Assert.Equal(InteractionResult.Succeeded, asks[1].Result);
    }

    [Theory]
    [InlineData("forged capacity", CapacityRecordRejection.BadSignature)]
    [InlineData("someone else's capacity", CapacityRecordRejection.WrongIssuer)]
    public void AskCapacity_PeerAnswersWithAClaimNotItsOwn_IsAnInvalidReplyAndNothingIsWeighed(string lie, CapacityRecordRejection expected)
    {
        using var s = new Scenario(this, liar: lie);
        CapacityPullResult? ask = null;
        s.Run(async () => ask = await s.AskCapacityAsync());

        Assert.Equal(expected, ask!.Verdict);
        Assert.Equal(InteractionResult.InvalidReply, ask.Result);
        Assert.Equal(7, s.AskerCapacity.FreeBytesFor(_ids[1].PeerId, Start, unknown: 7));
    }

    private sealed class Scenario : IDisposable
    {
        private readonly TrustExchangeProtocolTests _t;
        private readonly InMemoryNetwork _net;
        private readonly InMemoryTransport _responder;
        private readonly InMemoryTransport _asker;
        private readonly TrustRecordCollection _held;

        public Scenario(TrustExchangeProtocolTests t, PlacementOptions? options = null, string? liar = null)
        {
            _t = t;
            options ??= new PlacementOptions();
            Clock = new VirtualTimeProvider(Start);
            _net = new InMemoryNetwork(Clock, 7);
            var ids = t._ids;
            var metrics = new PlacementMetrics(t._meter);
            _held = new TrustRecordCollection(ids[1].PeerId, options, ids.Select(i => i.PeerId), metrics);
            _held.Publish(TrustRecord.Sign(ids[1], Start, Row(5)), ids[1].PublicKey);
            for (var i = 2; i <= 4; i++)
            {
                Offer(ids[i], Start, 3);
            }

            Asker = new TrustRecordCollection(ids[0].PeerId, options, ids.Select(i => i.PeerId), new PlacementMetrics(t._meter));
            Metrics = new TrustExchangeMetrics(t._meter);
            AskerCapacity = new CapacityBook(options, new CapacityMetrics(t._meter));
            var protocols = new ProtocolDispatcher();
            protocols.Register(ProtocolIds.Trust, liar is null
                ? new TrustExchangeHandler(_held, new TrustServeBudget(options.TrustServeBytesPerPeerPerHour, Clock), Metrics, 1 << 20,
                    new OwnCapacityRecord(ids[1], () => (3L << 30, 8L << 30), options.CapacityRecordInterval, Clock))
                : new LyingHandler(liar, ids));
            _responder = _net.CreateNode(ids[1].PeerId, protocols);
            _asker = _net.CreateNode(ids[0].PeerId, new ProtocolDispatcher());
        }

        public VirtualTimeProvider Clock { get; }

        public TrustRecordCollection Asker { get; }

        public TrustExchangeMetrics Metrics { get; }

        public ITransportConnection Connection { get; private set; } = null!;

        public void Offer(NodeIdentity issuer, DateTimeOffset at, int entries) =>
            Assert.Equal(TrustRecordRejection.None, _held.TryAccept(issuer.PublicKey.Encoded, TrustRecordCodec.Encode(TrustRecord.Sign(issuer, at, Row(entries))), at));

        public CapacityBook AskerCapacity { get; }

        public Task<CapacityPullResult> AskCapacityAsync() => CapacityExchangeClient.PullAsync(Connection, AskerCapacity, Clock, CancellationToken.None);

        public Task<TrustPullResult> PullAsync() => TrustExchangeClient.PullAsync(Connection, Asker, 1 << 20, Clock, CancellationToken.None);

        public void Run(Func<Task> body) => _net.Run(async () =>
        {
            var listener = await _responder.ListenAsync(_responder.Host.WithPort(4001));
            await using var connection = await _asker.DialAsync(listener.LocalAddress);
            Connection = connection;
            await body();
        }, TimeSpan.FromMinutes(1));

        public void Dispose()
        {
        }


        /// <summary>A responder that lists one record and then answers as <c>lie</c> says.</summary>
        private sealed class LyingHandler(string lie, NodeIdentity[] ids) : IProtocolHandler
        {
            public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
            {
                if (CapacityExchangeCodec.TryReadRequest(request.Span, out _))
                {
                    // A record in the responder's (ids[1]'s) name: ids[3]'s claim relabelled, or ids[3]'s own.
                    var record = CapacityRecordCodec.Encode(CapacityRecord.Sign(ids[3], Start, 1L << 40, 1L << 40));
                    if (lie == "forged capacity")
                    {
                        ids[1].PeerId.WriteTo(record.AsSpan(1));
                    }

                    CapacityExchangeCodec.WriteAnswer(response, ids[1].PublicKey.Encoded, record);
                }
                else if (lie == "claims the request was malformed")
                {
                    TrustExchangeCodec.WriteStatus(response, TrustExchangeStatus.Malformed);
                }
                else if (TrustExchangeCodec.TryReadInventoryRequest(request.Span, out _))
                {
                    TrustExchangeCodec.WriteInventory(response, [new TrustInventoryEntry(ids[2].PeerId, Start.ToUnixTimeMilliseconds())], more: false);
                }
                else if (lie == "forged record")
                {
                    // ids[3]'s row relabelled as ids[2]'s, carried with ids[2]'s real key.
                    var forged = TrustRecordCodec.Encode(TrustRecord.Sign(ids[3], Start, Row(3)));
                    ids[2].PeerId.WriteTo(forged.AsSpan(1));
                    TrustExchangeCodec.WriteRecords(response, [new TrustRecordDelivery(ids[2].PublicKey.Encoded.ToArray(), forged)]);
                }
                else
                {
                    var junk = new byte[64];
                    new Random(request.Length).NextBytes(junk);
                    junk[0] = 0;
                    response.Write(junk);
                }

                return ValueTask.CompletedTask;
            }

            public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) => ValueTask.CompletedTask;

            public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) => ValueTask.CompletedTask;
        }
    }
}
