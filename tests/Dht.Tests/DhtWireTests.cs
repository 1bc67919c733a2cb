using System.Buffers;
using System.Diagnostics.Metrics;
using System.Net;
using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;
using Overlay.Dht.Wire;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Dht.Tests;

public sealed class DhtWireTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly DhtOptions _options = DhtTestNetwork.DefaultOptions();
    private readonly NodeIdentity _publisher = NodeIdentity.FromRandom(new Random(1));
    private readonly Meter _meter = new("Overlay.Dht.Tests.Wire." + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, long> _counted = [];
    private readonly MeterListener _listener = new();

    public DhtWireTests()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == _meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                var key = instrument.Name + "{" + tag.Value + "}";
                lock (_counted)
                {
                    _counted[key] = _counted.GetValueOrDefault(key) + value;
                }
            }
        });
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _meter.Dispose();
        _publisher.Dispose();
    }

    private long Counted(string name, string reason)
    {
        lock (_counted)
        {
            return _counted.GetValueOrDefault(name + "{" + reason + "}");
        }
    }

    private DhtRecord SignedRecord(PeerId key, string value) =>
        DhtRecord.Create(key, System.Text.Encoding.UTF8.GetBytes(value), _publisher.PublicKey.Encoded, 1, Now.AddHours(1), p => _publisher.Sign(p));

    private static DhtPeer[] Contacts(PeerId target, int count, Random random)
    {
        var list = new DhtPeer[count];
        for (var i = 0; i < count; i++)
        {
            list[i] = new DhtPeer(PeerId.Random(random), $"mem://198.18.{i}.7:1", default);
        }

        Array.Sort(list, (a, b) => a.Id.Xor(target).CompareTo(b.Id.Xor(target)));
        return list;
    }

    // The STORE message's record; kept because hybrid signatures are hedged, so signing again differs.
    private DhtRecord? _storedRecord;

    private List<byte[]> ValidMessages()
    {
        var random = new Random(2);
        var target = PeerId.Random(random);
        var record = _storedRecord = SignedRecord(target, "hello");
        _ = PeerId.Random(random); // keeps the contacts drawn below as they were
        var provider = SignedProviders.Sign(_publisher, target, Now.AddHours(1));
        var messages = new List<byte[]>();
        // Large enough for a STORE carrying a hybrid (Ed25519 + ML-DSA-65) key and signature.
        var buffer = new byte[64 * 1024];
        messages.Add(buffer[..DhtMessageCodec.WritePingRequest(buffer, "mem://10.0.0.1:1")]);
        messages.Add(buffer[..DhtMessageCodec.WriteLookupRequest(buffer, DhtMessageType.FindNode, null, target)]);
        messages.Add(buffer[..DhtMessageCodec.WriteLookupRequest(buffer, DhtMessageType.FindValue, "tcp://127.0.0.1:4001", target)]);
        messages.Add(buffer[..DhtMessageCodec.WriteStoreRequest(buffer, "mem://10.0.0.1:1", record)]);
        messages.Add(buffer[..DhtMessageCodec.WriteStoreRequest(buffer, null, provider)]);
        var coordinate = new VivaldiCoordinate(12.5, -3, 1);
        var w = new ArrayBufferWriter<byte>();
        DhtMessageCodec.WritePong(w, coordinate, 0.5);
        messages.Add(w.WrittenSpan.ToArray());
        w.ResetWrittenCount();
        DhtMessageCodec.WriteNodes(w, coordinate, 0.5, Contacts(target, 20, random));
        messages.Add(w.WrittenSpan.ToArray());
        w.ResetWrittenCount();
        DhtMessageCodec.WriteValue(w, coordinate, 0.5, record, [provider], Contacts(target, 3, random));
        messages.Add(w.WrittenSpan.ToArray());
        w.ResetWrittenCount();
        DhtMessageCodec.WriteStored(w, coordinate, 0.5, RecordRejection.BadSignature);
        messages.Add(w.WrittenSpan.ToArray());
        w.ResetWrittenCount();
        DhtMessageCodec.WriteError(w, coordinate, 0.5, DhtErrorCode.RateLimited);
        messages.Add(w.WrittenSpan.ToArray());
        return messages;
    }

    [Fact]
    public void TryDecode_StoredWithEveryRefusalAStoringNodeSends_RoundTrips_AndClientOnlyOrUndefinedCodesAreBadCode()
    {
        var coordinate = new VivaldiCoordinate(1, 2, 3);
        var w = new ArrayBufferWriter<byte>();
        foreach (var verdict in Enum.GetValues<RecordRejection>())
        {
            w.ResetWrittenCount();
            DhtMessageCodec.WriteStored(w, coordinate, 0.5, verdict);
            var decoded = DhtMessageCodec.TryDecode(w.WrittenSpan, _options, out var message, out var error);
            if (verdict is RecordRejection.NoAnswer or RecordRejection.RateLimited)
            {
                Assert.False(decoded, $"{verdict} is a client's own verdict, not an answer");
                Assert.Equal(DhtWireError.BadCode, error);
            }
            else
            {
                Assert.True(decoded, $"{verdict}: {error}");
                Assert.Equal(verdict, message!.Verdict);
            }
        }

        var undefined = (byte)(Enum.GetValues<RecordRejection>().Max() + 1);
        for (var code = (int)undefined; code <= byte.MaxValue; code++)
        {
            w.ResetWrittenCount();
            DhtMessageCodec.WriteStored(w, coordinate, 0.5, (RecordRejection)code);
            Assert.False(DhtMessageCodec.TryDecode(w.WrittenSpan, _options, out _, out var error));
            Assert.Equal(DhtWireError.BadCode, error);
        }
    }

    [Fact]
    public void TryDecode_EveryMessageType_RoundTrips()
    {
        var random = new Random(2);
        var target = PeerId.Random(random);
        var messages = ValidMessages();
        var expectedTypes = new[]
        {
            DhtMessageType.Ping, DhtMessageType.FindNode, DhtMessageType.FindValue, DhtMessageType.Store, DhtMessageType.Store,
            DhtMessageType.Pong, DhtMessageType.Nodes, DhtMessageType.Value, DhtMessageType.Stored, DhtMessageType.Error,
        };
        for (var i = 0; i < messages.Count; i++)
        {
            Assert.True(DhtMessageCodec.TryDecode(messages[i], _options, out var m, out var error), $"message {i}: {error}");
            Assert.Equal(expectedTypes[i], m.Type);
        }

        DhtMessageCodec.TryDecode(messages[0], _options, out var ping, out _);
        Assert.Equal("mem://10.0.0.1:1", ping!.SenderAddress);
        DhtMessageCodec.TryDecode(messages[1], _options, out var findNode, out _);
        Assert.Equal(target, findNode!.Target);
        Assert.Null(findNode.SenderAddress);
        DhtMessageCodec.TryDecode(messages[3], _options, out var store, out _);
        Assert.True(store!.Record!.ContentEquals(_storedRecord!));
        DhtMessageCodec.TryDecode(messages[4], _options, out var storeProvider, out _);
        Assert.Equal(target, storeProvider!.Provider!.Key);
        DhtMessageCodec.TryDecode(messages[6], _options, out var nodes, out _);
        Assert.Equal(20, nodes!.Contacts.Count);
        Assert.Equal(new VivaldiCoordinate(12.5, -3, 1), nodes.Coordinate);
        Assert.Equal(0.5, nodes.CoordinateError);
        Assert.StartsWith("mem://198.18.", nodes.Contacts[0].Address, StringComparison.Ordinal);
        Assert.False(nodes.Contacts[0].Group.IsUnknown);
        DhtMessageCodec.TryDecode(messages[7], _options, out var value, out _);
        Assert.NotNull(value!.Record);
        Assert.Single(value.Providers);
        Assert.Equal(3, value.Contacts.Count);
        DhtMessageCodec.TryDecode(messages[8], _options, out var stored, out _);
        Assert.Equal(RecordRejection.BadSignature, stored!.Verdict);
        DhtMessageCodec.TryDecode(messages[9], _options, out var refused, out _);
        Assert.Equal(DhtErrorCode.RateLimited, refused!.ErrorCode);
    }

    [Fact]
    public void TryDecode_TruncatedOrExtended_FailsWithTypedError()
    {
        foreach (var message in ValidMessages())
        {
            for (var length = 0; length < message.Length; length++)
            {
                Assert.False(DhtMessageCodec.TryDecode(message.AsSpan(0, length), _options, out var m, out var error));
                Assert.Null(m);
                Assert.NotEqual(DhtWireError.None, error);
            }

            var longer = new byte[message.Length + 1];
            message.CopyTo(longer, 0);
            Assert.False(DhtMessageCodec.TryDecode(longer, _options, out _, out var trailing));
            Assert.Equal(DhtWireError.TrailingBytes, trailing);
        }

        Assert.False(DhtMessageCodec.TryDecode([2, 1, 0, 0], _options, out _, out var version));
        Assert.Equal(DhtWireError.UnsupportedVersion, version);
        Assert.False(DhtMessageCodec.TryDecode([1, 0x42, 0, 0], _options, out _, out var type));
        Assert.Equal(DhtWireError.UnknownType, type);
    }

    [Fact]
    public void TryDecode_ManyDistinctAddressesTwice_EachDecodesToItsOwnTextAndGroup()
    {
        // More addresses than remembered decodings, so slots are shared and replaced; a second pass
        // mixes remembered and re-parsed ones. Every answer must be the address that was sent.
        var random = new Random(11);
        var target = PeerId.Random(random);
        var addresses = new string[6000];
        for (var i = 0; i < addresses.Length; i++)
        {
            addresses[i] = i % 3 == 0 ? $"tcp://[2001:db8:{i:x}::1]:4001" : $"tcp://{20 + (i % 200)}.{i / 200}.{i % 7}.9:{1000 + i}";
        }

        var w = new ArrayBufferWriter<byte>();
        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i < addresses.Length; i++)
            {
                w.ResetWrittenCount();
                DhtMessageCodec.WriteNodes(w, default, 1, [new DhtPeer(target, addresses[i], default)]);
                Assert.True(DhtMessageCodec.TryDecode(w.WrittenSpan, _options, out var message, out _));
                var contact = Assert.Single(message.Contacts!);
                Assert.Equal(addresses[i], contact.Address);
                var host = TransportAddress.Parse(addresses[i]).HostText;
                Assert.Equal(IPAddress.TryParse(host, out var ip) ? NetworkGroup.FromAddress(ip) : NetworkGroup.Unknown, contact.Group);
            }
        }

        // An address refused once is refused again: refusals are never remembered as decodings.
        w.ResetWrittenCount();
        DhtMessageCodec.WriteNodes(w, default, 1, [new DhtPeer(target, "tcp://300.1.1.1:1", default)]);
        Assert.False(DhtMessageCodec.TryDecode(w.WrittenSpan, _options, out _, out var first));
        Assert.False(DhtMessageCodec.TryDecode(w.WrittenSpan, _options, out _, out var second));
        Assert.Equal(DhtWireError.BadAddress, first);
        Assert.Equal(DhtWireError.BadAddress, second);
    }

    [Fact]
    public void TryDecode_TooManyContactsOrBadAddress_IsRefused()
    {
        var random = new Random(4);
        var target = PeerId.Random(random);
        var w = new ArrayBufferWriter<byte>();
        DhtMessageCodec.WriteNodes(w, default, 1, Contacts(target, 21, random));
        Assert.False(DhtMessageCodec.TryDecode(w.WrittenSpan, _options, out _, out var tooMany));
        Assert.Equal(DhtWireError.TooManyEntries, tooMany);

        w.ResetWrittenCount();
        DhtMessageCodec.WriteNodes(w, default, 1, [new DhtPeer(target, "not an address", default)]);
        Assert.False(DhtMessageCodec.TryDecode(w.WrittenSpan, _options, out _, out var badAddress));
        Assert.Equal(DhtWireError.BadAddress, badAddress);

        w.ResetWrittenCount();
        DhtMessageCodec.WritePong(w, new VivaldiCoordinate(double.NaN, 0, 0), 1);
        Assert.False(DhtMessageCodec.TryDecode(w.WrittenSpan, _options, out _, out var badCoordinate));
        Assert.Equal(DhtWireError.BadCoordinate, badCoordinate);
    }

    [Fact]
    public void Serve_RandomBytesAndMutations_NeverThrows_CountsReasons_AndStillAnswers()
    {
        var clock = new VirtualTimeProvider(Now);
        var self = PeerId.Random(new Random(5));
        var table = new RoutingTable(self, _options, Now);
        var store = new RecordStore(_options, new RecordValidator(_options, new IdentityRecordVerifier()));
        var metrics = new DhtMetrics(_meter);
        var handler = new DhtRequestHandler(table, store, new PeerRateLimiter(new DhtOptions { MaxRequestsPerPeerPerSecond = 10000, RequestBurstPerPeer = 100_000 }), _options, clock, metrics, () => (default, 1.0));
        var random = new Random(6);
        var response = new ArrayBufferWriter<byte>();
        var remote = PeerId.Random(random);
        var inputs = 0;

        void Check(ReadOnlySpan<byte> input)
        {
            DhtMessageCodec.TryDecode(input, _options, out _, out _);
            response.ResetWrittenCount();
            Assert.True(handler.ServeAsync(remote, input, response).AsTask().IsCompletedSuccessfully);
            // Whatever came in, the answer is a well-formed response.
            Assert.True(DhtMessageCodec.TryDecode(response.WrittenSpan, _options, out var answer, out var error), error.ToString());
            Assert.True((byte)answer.Type >= 0x80);
            inputs++;
        }

        for (var i = 0; i < 3000; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            if (bytes.Length > 2 && i % 2 == 0)
            {
                bytes[0] = DhtMessageCodec.Version;
                bytes[1] = (byte)random.Next(1, 5);
            }

            Check(bytes);
        }

        foreach (var message in ValidMessages())
        {
            for (var i = 0; i < 300; i++)
            {
                var mutated = (byte[])message.Clone();
                mutated[random.Next(mutated.Length)] ^= (byte)random.Next(1, 256);
                Check(mutated);
            }
        }

        Assert.True(inputs > 5000);
        Assert.True(Counted("overlay.dht.requests_dropped", "unsupported_version") > 0);
        Assert.True(Counted("overlay.dht.requests_dropped", "unknown_type") > 0);
        Assert.True(Counted("overlay.dht.requests_dropped", "too_short") > 0);
        Assert.True(metrics.RequestsDropped > 0);

        // A well-formed request is still served afterwards.
        var ping = new byte[64];
        var n = DhtMessageCodec.WritePingRequest(ping, null);
        response.ResetWrittenCount();
        Assert.True(handler.ServeAsync(remote, ping.AsSpan(0, n), response).AsTask().IsCompletedSuccessfully);
        Assert.True(DhtMessageCodec.TryDecode(response.WrittenSpan, _options, out var pong, out _));
        Assert.Equal(DhtMessageType.Pong, pong.Type);
    }

    [Fact]
    public void Serve_OverTheRateLimit_AnswersRateLimited()
    {
        var options = DhtTestNetwork.DefaultOptions();
        options.MaxRequestsPerPeerPerSecond = 1;
        options.RequestBurstPerPeer = 3;
        var clock = new VirtualTimeProvider(Now);
        var table = new RoutingTable(PeerId.Random(new Random(7)), options, Now);
        var store = new RecordStore(options, new RecordValidator(options, new IdentityRecordVerifier()));
        var handler = new DhtRequestHandler(table, store, new PeerRateLimiter(options), options, clock, new DhtMetrics(_meter), () => (default, 1.0));
        var ping = new byte[64];
        var n = DhtMessageCodec.WritePingRequest(ping, null);
        var response = new ArrayBufferWriter<byte>();
        var remote = PeerId.Random(new Random(8));
        var types = new List<DhtMessageType>();
        for (var i = 0; i < 4; i++)
        {
            response.ResetWrittenCount();
            Assert.True(handler.ServeAsync(remote, ping.AsSpan(0, n), response).AsTask().IsCompletedSuccessfully);
            DhtMessageCodec.TryDecode(response.WrittenSpan, options, out var answer, out _);
            types.Add(answer!.Type);
        }

        Assert.Equal([DhtMessageType.Pong, DhtMessageType.Pong, DhtMessageType.Pong, DhtMessageType.Error], types);
        Assert.Equal(1, Counted("overlay.dht.requests_dropped", "rate_limited"));
    }

    [Fact]
    public void Serve_RefusedStore_IsAnsweredAndCountedByReason()
    {
        var options = DhtTestNetwork.DefaultOptions();
        options.MaxValueBytes = 64;
        var clock = new VirtualTimeProvider(Now);
        var table = new RoutingTable(PeerId.Random(new Random(7)), options, Now);
        var store = new RecordStore(options, new RecordValidator(options, new IdentityRecordVerifier()));
        var metrics = new DhtMetrics(_meter);
        var handler = new DhtRequestHandler(table, store, new PeerRateLimiter(options), options, clock, metrics, () => (default, 1.0));
        var remote = PeerId.Random(new Random(8));
        var key = PeerId.Random(new Random(9));
        var buffer = new byte[64 * 1024];
        var response = new ArrayBufferWriter<byte>();
        DhtMessage Store(DhtRecord record)
        {
            response.ResetWrittenCount();
            Assert.True(handler.ServeAsync(remote, buffer.AsSpan(0, DhtMessageCodec.WriteStoreRequest(buffer, null, record)), response).AsTask().IsCompletedSuccessfully);
            Assert.True(DhtMessageCodec.TryDecode(response.WrittenSpan, options, out var answer, out _));
            return answer;
        }

        DhtRecord Signed(PeerId k, byte[] value, ulong sequence, DateTimeOffset expires) =>
            DhtRecord.Create(k, value, _publisher.PublicKey.Encoded, sequence, expires, p => _publisher.Sign(p));

        Assert.Equal(RecordRejection.None, Store(Signed(key, "five"u8.ToArray(), 5, Now.AddHours(1))).Verdict);

        // Refused by the store: answered STORED with the verdict.
        Assert.Equal(RecordRejection.OlderSequence, Store(Signed(key, "four"u8.ToArray(), 4, Now.AddHours(1))).Verdict);
        Assert.Equal(RecordRejection.Expired, Store(Signed(PeerId.Random(new Random(10)), "late"u8.ToArray(), 1, Now.AddMinutes(-1))).Verdict);
        var good = Signed(key, "six"u8.ToArray(), 6, Now.AddHours(1));
        var signature = good.Signature.ToArray();
        signature[5] ^= 0x10;
        Assert.Equal(RecordRejection.BadSignature, Store(new DhtRecord(key, "six"u8, _publisher.PublicKey.Encoded, 6, Now.AddHours(1), signature)).Verdict);

        // Refused before a record exists (the value is over the limit): answered with an ERROR reply.
        var oversized = Store(Signed(PeerId.Random(new Random(11)), new byte[65], 1, Now.AddHours(1)));
        Assert.Equal(DhtMessageType.Error, oversized.Type);
        Assert.Equal(DhtErrorCode.Malformed, oversized.ErrorCode);

        foreach (var (reason, tag) in new[]
        {
            (RecordRejection.OlderSequence, "older_sequence"), (RecordRejection.Expired, "expired"),
            (RecordRejection.BadSignature, "bad_signature"), (RecordRejection.ValueTooLarge, "value_too_large"),
        })
        {
            Assert.Equal(1, metrics.StoresRefused(reason));
            Assert.Equal(1, Counted("overlay.dht.stores_refused", tag));
        }

        Assert.Equal(0, metrics.StoresRefused(RecordRejection.None));
        Assert.Equal(1, Counted("overlay.dht.requests_dropped", "bad_record"));
        Assert.Equal("five"u8.ToArray(), store.Get(key, Now)!.Value.ToArray());
    }

    [Fact]
    public void IdentityRecordVerifier_ChecksSignatureAndPublisher()
    {
        var verifier = new IdentityRecordVerifier();
        var message = "payload"u8.ToArray();
        var signature = _publisher.Sign(message);
        Assert.True(verifier.Verify(_publisher.PublicKey.Encoded, message, signature));
        signature[0] ^= 1;
        Assert.False(verifier.Verify(_publisher.PublicKey.Encoded, message, signature));
        Assert.False(verifier.Verify([1, 2, 3], message, signature));
        Assert.True(IdentityRecordVerifier.PublisherIs(_publisher.PublicKey.Encoded, _publisher.PeerId));
        Assert.False(IdentityRecordVerifier.PublisherIs(_publisher.PublicKey.Encoded, PeerId.Random(new Random(3))));
    }

    public enum Lie
    {
        Unsorted,
        BadSignature,
        WrongKey,
        Garbage,
    }

    [Theory]
    [InlineData(Lie.Unsorted, "contacts_not_closer")]
    [InlineData(Lie.BadSignature, "invalid_record")]
    [InlineData(Lie.WrongKey, "wrong_key")]
    [InlineData(Lie.Garbage, "malformed")]
    public void Lookup_PeerThatLies_IsDroppedCountedAndHeldAgainst(Lie lie, string reason)
    {
        var clock = new VirtualTimeProvider(Now);
        var net = new InMemoryNetwork(clock, seed: 1);
        using var identity = NodeIdentity.FromRandom(new Random(9));
        var liarId = PeerId.Random(new Random(10));
        var liar = net.CreateNode(liarId, new ProtocolDispatcher(ProtocolIds.Dht, new LyingHandler(lie, _publisher, _options)));
        var seen = new RecordingInteractions();
        var node = new DhtNode(identity, _options, clock, new Random(11), h => net.CreateNode(identity.PeerId, h), meter: _meter, interactions: seen);
        net.Run(async () =>
        {
            var liarAddress = (await liar.ListenAsync(liar.Host)).LocalAddress;
            await node.StartAsync(((InMemoryTransport)node.Transport).Host, CancellationToken.None);
            Assert.Equal(1, await node.BootstrapAsync([liarAddress], CancellationToken.None));
            var before = node.FailuresOf(liarId);
            if (lie is Lie.BadSignature or Lie.WrongKey)
            {
                Assert.Null(await node.GetAsync(PeerId.Random(new Random(12)), CancellationToken.None));
            }
            else
            {
                var result = await node.FindClosestAsync(PeerId.Random(new Random(12)), CancellationToken.None);
                Assert.Empty(result.Closest);
            }

            Assert.True(node.FailuresOf(liarId) > before, "the lie was not held against the peer");
        });
        Assert.True(Counted("overlay.dht.responses_dropped", reason) >= 1, $"no drop counted as {reason}");
        // The seam saw the bootstrap ping answered and the lie as an invalid reply, with what it cost.
        Assert.Contains(seen.Outcomes, o => o.Peer == liarId && o.Operation == DhtOperations.Ping && o.Result == Overlay.Transport.Interactions.InteractionResult.Succeeded);
        Assert.Contains(seen.Outcomes, o => o.Peer == liarId && o.Result == Overlay.Transport.Interactions.InteractionResult.InvalidReply && o.BytesSent > 0 && o.BytesReceived > 0);
    }

    private sealed class LyingHandler(Lie lie, NodeIdentity publisher, DhtOptions options) : IProtocolHandler
    {
        public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
        {
            Assert.True(DhtMessageCodec.TryDecode(request.Span, options, out var message, out _));
            if (message.Type == DhtMessageType.Ping)
            {
                DhtMessageCodec.WritePong(response, default, 1);
                return ValueTask.CompletedTask;
            }

            var random = new Random(13);
            var contacts = Contacts(message.Target, 2, random);
            switch (lie)
            {
                case Lie.Unsorted:
                    DhtMessageCodec.WriteNodes(response, default, 1, [contacts[1], contacts[0]]);
                    break;
                case Lie.Garbage:
                    response.Write(new byte[] { 1, 0x82, 9, 9, 9 });
                    break;
                default:
                    var key = lie == Lie.WrongKey ? PeerId.Random(random) : message.Target;
                    var record = DhtRecord.Create(key, "forged"u8, publisher.PublicKey.Encoded, 1, Now.AddHours(1), p => publisher.Sign(p));
                    if (lie == Lie.BadSignature)
                    {
                        var signature = record.Signature.ToArray();
                        signature[3] ^= 0x20;
                        record = new DhtRecord(key, "forged"u8, publisher.PublicKey.Encoded, 1, Now.AddHours(1), signature);
                    }

                    DhtMessageCodec.WriteValue(response, default, 1, record, [], []);
                    break;
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
