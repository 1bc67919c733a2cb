using System.Buffers;
using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Dht.Records;
using Overlay.Dht.Wire;
using Overlay.Transport;
using Overlay.Transport.InMemory;
using Overlay.Transport.Pooling;

namespace Overlay.Dht.Tests;

/// <summary>
/// Signed provider records: each check has its typed refusal, and a provider record invented by whoever
/// answers a FIND_VALUE is accepted when the signature check is switched off and refused with it on.
/// </summary>
public sealed class ProviderRecordTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly DhtOptions _options = DhtTestNetwork.DefaultOptions();
    private readonly NodeIdentity _holder = NodeIdentity.FromRandom(new Random(201));
    private readonly NodeIdentity _attacker = NodeIdentity.FromRandom(new Random(202));

    public void Dispose()
    {
        _holder.Dispose();
        _attacker.Dispose();
    }

    public enum Forgery
    {
        /// <summary>Names the holder, signed by the attacker with the attacker's own key.</summary>
        OtherKey,

        /// <summary>The holder's real record with one signature bit flipped.</summary>
        Tampered,

        /// <summary>The holder's real record with a later expiry than the holder signed.</summary>
        Lengthened,
    }

    [Fact]
    public void ValidateProvider_EachCheck_HasItsTypedRefusal()
    {
        var validator = new RecordValidator(_options, new IdentityRecordVerifier());
        var key = PeerId.Random(new Random(1));
        var good = SignedProviders.Sign(_holder, key, T0.AddHours(1));

        Assert.Equal(RecordRejection.None, validator.ValidateProvider(good, _holder.PeerId, T0));
        Assert.Equal(RecordRejection.None, validator.ValidateProviderAnswer(good, T0));
        Assert.Equal(RecordRejection.Expired, validator.ValidateProviderAnswer(good, T0.AddHours(1)));
        Assert.Equal(RecordRejection.ExpiryTooFar, validator.ValidateProviderAnswer(SignedProviders.Sign(_holder, key, T0.AddDays(30)), T0));
        Assert.Equal(RecordRejection.ProviderNotSender, validator.ValidateProvider(good, _attacker.PeerId, T0));
        Assert.Equal(RecordRejection.ProviderKeyMismatch, validator.ValidateProviderAnswer(Forge(Forgery.OtherKey, key), T0));
        Assert.Equal(RecordRejection.BadSignature, validator.ValidateProviderAnswer(Forge(Forgery.Tampered, key), T0));
        Assert.Equal(RecordRejection.BadSignature, validator.ValidateProviderAnswer(Forge(Forgery.Lengthened, key), T0));
        Assert.Equal(RecordRejection.PublicKeyLength, validator.ValidateProviderAnswer(new ProviderRecord(key, _holder.PeerId, good.ExpiresUnixMs), T0));
    }

    [Fact]
    public void AddProvider_OlderAnnouncementReplayed_IsRefused_ALaterOneReplacesIt()
    {
        var store = new RecordStore(_options, new RecordValidator(_options, new IdentityRecordVerifier()));
        var key = PeerId.Random(new Random(2));
        var first = SignedProviders.Sign(_holder, key, T0.AddHours(2));
        var second = SignedProviders.Sign(_holder, key, T0.AddHours(3));

        Assert.Equal(RecordRejection.None, store.AddProvider(first, _holder.PeerId, T0));
        Assert.Equal(RecordRejection.None, store.AddProvider(second, _holder.PeerId, T0.AddHours(1)));
        Assert.Equal(RecordRejection.OlderAnnouncement, store.AddProvider(first, _holder.PeerId, T0.AddHours(1)));
        var found = new ProviderRecord[4];
        Assert.Equal(1, store.GetProviders(key, T0.AddHours(1), found));
        Assert.Equal(second, found[0]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AddProvider_ForgedByTheSenderForAnotherKey_AcceptedOnlyWithTheCheckOff(bool check)
    {
        // The sender is the provider the record names, as the connection proves, but the key and signature
        // are someone else's: a record no third party could later tell from the provider's own.
        var store = new RecordStore(_options, new RecordValidator(_options, Verifier(check)));
        var key = PeerId.Random(new Random(3));
        var forged = Forge(Forgery.OtherKey, key);

        var verdict = store.AddProvider(forged, _holder.PeerId, T0);

        Assert.Equal(check ? RecordRejection.ProviderKeyMismatch : RecordRejection.None, verdict);
        Assert.Equal(check ? 0 : 1, store.GetProviders(key, T0, new ProviderRecord[4]));
    }

    [Theory]
    [InlineData(Forgery.OtherKey, false, "")]
    [InlineData(Forgery.OtherKey, true, "provider_key_mismatch")]
    [InlineData(Forgery.Tampered, false, "")]
    [InlineData(Forgery.Tampered, true, "bad_signature")]
    [InlineData(Forgery.Lengthened, true, "bad_signature")]
    public void FindProviders_AnswerThatInventsAProvider_AcceptedOnlyWithTheCheckOff(Forgery forgery, bool check, string reason)
    {
        using var meter = new Meter("Overlay.Dht.Tests.Providers." + Guid.NewGuid().ToString("N"));
        var metrics = new DhtMetrics(meter);
        var clock = new VirtualTimeProvider(T0);
        var net = new InMemoryNetwork(clock, seed: 4);
        var key = PeerId.Random(new Random(4));
        var liarId = PeerId.Random(new Random(5));
        var answer = new[] { SignedProviders.Sign(_attacker, key, T0.AddHours(1)), Forge(forgery, key) };
        var liar = net.CreateNode(liarId, new ProtocolDispatcher(ProtocolIds.Dht, new ProvidersHandler(answer, _options)));
        IReadOnlyList<ProviderRecord>? found = null;
        Exception? refused = null;
        net.Run(async () =>
        {
            var liarAddress = (await liar.ListenAsync(liar.Host)).LocalAddress;
            var transport = net.CreateNode(PeerId.Random(new Random(6)), new ProtocolDispatcher());
            await using var pool = new ConnectionPool(transport, new TransportOptions(), clock);
            var rpc = new TransportDhtRpc(pool, _options, clock, new RecordValidator(_options, Verifier(check)), metrics, () => null);
            try
            {
                found = await rpc.FindProvidersAsync(new DhtPeer(liarId, liarAddress.WithPeer(null).ToString(), default), key, CancellationToken.None);
            }
            catch (DhtProtocolException e)
            {
                refused = e;
            }
        });

        if (check)
        {
            // The whole answer is dropped and held against the peer that gave it, and the reason is counted.
            Assert.Null(found);
            Assert.Equal(DhtResponseFault.InvalidRecord, Assert.IsType<DhtProtocolException>(refused).Fault);
            var expected = reason == "provider_key_mismatch" ? RecordRejection.ProviderKeyMismatch : RecordRejection.BadSignature;
            Assert.Equal(1, metrics.ProviderAnswersRefused(expected));
        }
        else
        {
            // Without the check the invented provider reaches the asker, which would go and ask it for the content.
            Assert.Null(refused);
            Assert.Contains(found!, p => p.Provider == _holder.PeerId);
        }
    }

    [Fact]
    public void TryDecode_ProviderRecordMutations_NeverThrow_AndAcceptedOnesAreCanonical()
    {
        var random = new Random(7);
        var valid = RecordEncoding.Encode(SignedProviders.Sign(_holder, PeerId.Random(random), T0.AddHours(1)));
        var counts = new Dictionary<RecordDecodeError, int>();
        for (var i = 0; i < 5_000; i++)
        {
            var input = (byte[])valid.Clone();
            switch (i % 3)
            {
                case 0:
                    input[random.Next(input.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    input = input[..random.Next(input.Length)];
                    break;
                default:
                    // Lengths and the expiry are where a decoder goes wrong: mutate the header.
                    input[random.Next(2, 2 + 32 + 32 + 8 + 2)] = (byte)random.Next(256);
                    break;
            }

            if (RecordEncoding.TryDecode(input, _options, out var value, out var provider, out var error))
            {
                Assert.Null(value);
                Assert.Equal(input, RecordEncoding.Encode(provider!));
            }
            else
            {
                counts[error] = counts.GetValueOrDefault(error) + 1;
            }
        }

        Assert.True(counts.GetValueOrDefault(RecordDecodeError.Truncated) > 0);
        Assert.True(counts.GetValueOrDefault(RecordDecodeError.PublicKeyLength) + counts.GetValueOrDefault(RecordDecodeError.SignatureLength) > 0);
    }

    private static IRecordSignatureVerifier Verifier(bool check) => check ? new IdentityRecordVerifier() : new AcceptingVerifier();

    private ProviderRecord Forge(Forgery forgery, PeerId key)
    {
        var real = SignedProviders.Sign(_holder, key, T0.AddHours(1));
        switch (forgery)
        {
            case Forgery.OtherKey:
                return SignedProviders.Forge(_attacker, _holder.PeerId, key, T0.AddHours(1));
            case Forgery.Tampered:
                var signature = real.Signature.ToArray();
                signature[10] ^= 0x04;
                return new ProviderRecord(key, _holder.PeerId, real.ExpiresUnixMs, real.ProviderPublicKey, signature);
            default:
                return new ProviderRecord(key, _holder.PeerId, real.ExpiresUnixMs + 3_600_000, real.ProviderPublicKey, real.Signature);
        }
    }

    /// <summary>The signature check switched off: every key names every peer and every signature verifies.</summary>
    private sealed class AcceptingVerifier : IRecordSignatureVerifier
    {
        public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) => true;

        public bool IsKeyOf(ReadOnlySpan<byte> publicKey, PeerId peer) => true;
    }

    /// <summary>Answers every FIND_VALUE with the given provider records and nothing else.</summary>
    internal sealed class ProvidersHandler(ProviderRecord[] providers, DhtOptions options) : IProtocolHandler
    {
        public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
        {
            Assert.True(DhtMessageCodec.TryDecode(request.Span, options, out var message, out _));
            DhtMessageCodec.WriteValue(response, default, 1, null, providers, []);
            return ValueTask.CompletedTask;
        }

        public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
