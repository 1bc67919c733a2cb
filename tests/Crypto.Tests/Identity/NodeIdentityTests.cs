using Overlay.Crypto.MlDsa;
using Overlay.Crypto.Sodium;

namespace Overlay.Crypto.Tests.Identity;

public sealed class NodeIdentityTests
{
    // RFC 8032 §7.1 TEST 1 seed and its Ed25519 public key.
    private const string Rfc8032Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private const string Rfc8032PublicKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    [Fact]
    public void FromSeed_KnownSeed_EncodesSchemeThenBothKeysAndHashesItIntoThePeerId()
    {
        var seed = Convert.FromHexString(Rfc8032Seed);
        using var identity = NodeIdentity.FromSeed(seed);
        Assert.Equal(IdentityScheme.HybridEd25519MlDsa65, identity.Scheme);
        Assert.Equal(1985, identity.PublicKey.Encoded.Length);
        Assert.Equal(3374, identity.SignatureSize);

        // Recompute the documented derivation independently: BLAKE3 DeriveKey under two contexts, then
        // Ed25519 and ML-DSA-65 KeyGen_internal.
        var edSeed = new byte[32];
        var xi = new byte[32];
        Blake3.DeriveKey("overlay 2026-11 node identity: Ed25519 seed", seed, edSeed);
        Blake3.DeriveKey("overlay 2026-11 node identity: ML-DSA-65 seed xi", seed, xi);
        using var edKey = Key.Import(Algorithm.Ed25519, edSeed);
        var mlDsaPublic = new byte[1952];
        MlDsaAlgorithm.GenerateKey(MlDsaParameterSet.MlDsa65, xi, mlDsaPublic, new byte[4032]);
        byte[] expected = [2, .. edKey.PublicKey!.Bytes, .. mlDsaPublic];
        Assert.Equal(expected, identity.PublicKey.Encoded.ToArray());
        Assert.Equal(edKey.PublicKey.Bytes, identity.PublicKey.Ed25519Key.ToArray());
        Assert.Equal(mlDsaPublic, identity.PublicKey.MlDsa65Key.ToArray());

        var digest = new byte[32];
        Blake3.Hash(expected, digest);
        Assert.Equal(PeerId.FromBytes(digest), identity.PeerId);
        Assert.Equal(identity.PeerId, identity.PublicKey.PeerId);
    }

    [Fact]
    public void FromEd25519Seed_KnownSeed_KeepsTheEd25519OnlyEncoding()
    {
        using var identity = NodeIdentity.FromEd25519Seed(Convert.FromHexString(Rfc8032Seed));
        Assert.Equal("01" + Rfc8032PublicKey, Convert.ToHexStringLower(identity.PublicKey.Encoded));
        Assert.Equal(IdentityScheme.Ed25519, identity.Scheme);
        Assert.Equal(65, identity.SignatureSize);
        Assert.True(identity.PublicKey.MlDsa65Key.IsEmpty);
        var digest = new byte[32];
        Blake3.Hash(identity.PublicKey.Encoded, digest);
        Assert.Equal(PeerId.FromBytes(digest), identity.PeerId);
    }

    [Fact]
    public void FromSeed_SameSeed_SameIdentityAndEachVerifiesTheOthersSignatures()
    {
        var seed = new byte[32];
        new Random(5).NextBytes(seed);
        using var a = NodeIdentity.FromSeed(seed);
        using var b = NodeIdentity.FromSeed(seed);
        Assert.Equal(a.PeerId, b.PeerId);
        Assert.Equal(a.PublicKey, b.PublicKey);
        // ML-DSA signing is hedged, so the signatures differ, but each verifies under the other's key.
        var sa = a.Sign("m"u8);
        var sb = b.Sign("m"u8);
        Assert.NotEqual(sa, sb);
        Assert.Equal(sa[..65], sb[..65]);
        Assert.True(b.PublicKey.Verify("m"u8, sa));
        Assert.True(a.PublicKey.Verify("m"u8, sb));
        using var c = NodeIdentity.FromRandom(new Random(5));
        Assert.Equal(a.PeerId, c.PeerId);

        seed[0] ^= 1;
        using var d = NodeIdentity.FromSeed(seed);
        Assert.NotEqual(a.PeerId, d.PeerId);
    }

    [Fact]
    public void FromRandom_OneSeed_SignsEachMessageTheSameWay_AndTheSignaturesVerify()
    {
        // A simulation replays from one seed: a file's content id hashes its signed manifest, so hedged
        // signatures would change where a replayed run placed the file (the FromSeed test above shows hedging).
        using var a = NodeIdentity.FromRandom(new Random(5));
        using var b = NodeIdentity.FromRandom(new Random(5));
        var sa = a.Sign("m"u8);
        var sb = b.Sign("m"u8);
        Assert.Equal(sa, sb);
        Assert.Equal(sa, a.Sign("m"u8));
        Assert.True(a.PublicKey.Verify("m"u8, sa));
        Assert.NotEqual(sa, a.Sign("n"u8));
        Assert.False(a.PublicKey.Verify("n"u8, sa));
    }

    [Fact]
    public void FromSeed_PeerIdIsStable()
    {
        // Pins the derivation: a change to either context string, the encoding or the hash would move
        // every simulated node's PeerId. The value is this build's output for seed 00 01 .. 1f.
        var seed = new byte[32];
        for (var i = 0; i < seed.Length; i++)
        {
            seed[i] = (byte)i;
        }

        using var identity = NodeIdentity.FromSeed(seed);
        Assert.Equal(StablePeerId, identity.PeerId.ToString());
        using var again = NodeIdentity.FromRandom(new SeedSequence());
        Assert.Equal(StablePeerId, again.PeerId.ToString());
    }

    // Recorded from this implementation, whose derivation the test above recomputes independently.
    private const string StablePeerId = "jqsgqup6maxac6faoyysjwbjjhfi3jkzi7nn45ahuw3e6nqh3d5a";

    /// <summary>A <see cref="Random"/> whose NextBytes yields 00 01 02 …, to drive FromRandom to a known seed.</summary>
    private sealed class SeedSequence : Random
    {
        public override void NextBytes(Span<byte> buffer)
        {
            for (var i = 0; i < buffer.Length; i++)
            {
                buffer[i] = (byte)i;
            }
        }
    }

    [Fact]
    public void Generate_TwoIdentities_DifferAndAreHybrid()
    {
        using var a = NodeIdentity.Generate();
        using var b = NodeIdentity.Generate();
        Assert.Equal(IdentityScheme.HybridEd25519MlDsa65, a.Scheme);
        Assert.NotEqual(a.PeerId, b.PeerId);
        Assert.NotEqual(a.PublicKey, b.PublicKey);
        Assert.False(a.PublicKey.Ed25519Key.SequenceEqual(b.PublicKey.Ed25519Key));
        Assert.False(a.PublicKey.MlDsa65Key.SequenceEqual(b.PublicKey.MlDsa65Key));
    }

    [Fact]
    public void Sign_ThenVerify_AcceptsOnlyTheExactMessageAndSignature()
    {
        using var identity = NodeIdentity.FromRandom(new Random(8));
        var message = "find_node 42"u8.ToArray();
        var signature = new byte[identity.SignatureSize + 3];
        Assert.Equal(3374, identity.Sign(message, signature));
        Assert.Equal((byte)IdentityScheme.HybridEd25519MlDsa65, signature[0]);
        var sig = signature[..3374];
        Assert.True(identity.PublicKey.Verify(message, sig));
        Assert.True(identity.PublicKey.Verify(message, identity.Sign(message)));

        message[^1] ^= 1;
        Assert.False(identity.PublicKey.Verify(message, sig));
        message[^1] ^= 1;

        // Scheme byte mismatch, truncation, extension, empty, the halves alone.
        foreach (byte scheme in (byte[])[0, 1, 3, 0xff])
        {
            Assert.False(identity.PublicKey.Verify(message, [scheme, .. sig[1..]]));
        }

        Assert.False(identity.PublicKey.Verify(message, sig.AsSpan(0, sig.Length - 1)));
        Assert.False(identity.PublicKey.Verify(message, [.. sig, 0]));
        Assert.False(identity.PublicKey.Verify(message, []));
        Assert.False(identity.PublicKey.Verify(message, sig.AsSpan(1)));
        Assert.False(identity.PublicKey.Verify(message, sig.AsSpan(0, 65)));
        Assert.False(identity.PublicKey.Verify(message, [2, .. sig[65..]]));

        using var other = NodeIdentity.Generate();
        Assert.False(other.PublicKey.Verify(message, sig));
    }

    [Fact]
    public void Verify_Ed25519PartTamperedAlone_IsRejected()
    {
        using var identity = NodeIdentity.FromRandom(new Random(9));
        var sig = identity.Sign("ping"u8);
        for (var i = 1; i < 65; i++)
        {
            for (var bit = 0; bit < 8; bit += 3)
            {
                sig[i] ^= (byte)(1 << bit);
                Assert.False(identity.PublicKey.Verify("ping"u8, sig), $"Ed25519 byte {i} bit {bit}");
                sig[i] ^= (byte)(1 << bit);
            }
        }

        Assert.True(identity.PublicKey.Verify("ping"u8, sig));
    }

    [Fact]
    public void Verify_MlDsaPartTamperedAlone_IsRejected()
    {
        using var identity = NodeIdentity.FromRandom(new Random(10));
        var sig = identity.Sign("ping"u8);
        var random = new Random(11);
        // Every byte of the challenge and the hint section, and seeded positions across the response z.
        var positions = new List<int>();
        for (var i = 0; i < 48; i++) positions.Add(65 + i);
        for (var i = 3374 - 61; i < 3374; i++) positions.Add(i);
        for (var i = 0; i < 150; i++) positions.Add(random.Next(65 + 48, 3374 - 61));
        foreach (var i in positions)
        {
            var flip = (byte)(1 << random.Next(8));
            sig[i] ^= flip;
            Assert.False(identity.PublicKey.Verify("ping"u8, sig), $"ML-DSA byte {i}");
            sig[i] ^= flip;
        }

        Assert.True(identity.PublicKey.Verify("ping"u8, sig));
    }

    [Fact]
    public void Verify_HalfSwappedInFromAnotherIdentity_IsRejected()
    {
        var message = "store shard 7"u8;
        using var a = NodeIdentity.FromRandom(new Random(12));
        using var b = NodeIdentity.FromRandom(new Random(13));
        var sa = a.Sign(message);
        var sb = b.Sign(message);
        byte[] edFromB = [2, .. sb[1..65], .. sa[65..]];
        byte[] mlDsaFromB = [2, .. sa[1..65], .. sb[65..]];
        Assert.False(a.PublicKey.Verify(message, edFromB));
        Assert.False(a.PublicKey.Verify(message, mlDsaFromB));
        Assert.False(b.PublicKey.Verify(message, edFromB));
        Assert.False(b.PublicKey.Verify(message, mlDsaFromB));

        // c shares a's Ed25519 key but has its own ML-DSA key. Each half signs the PeerId, the hash of
        // both keys, so a's Ed25519 half does not carry over into c's signatures or the other way round.
        var secret = new byte[64];
        a.ExportSecret(secret);
        new Random(14).NextBytes(secret.AsSpan(32));
        using var c = NodeIdentity.FromHybridSecret(secret);
        Assert.True(c.PublicKey.Ed25519Key.SequenceEqual(a.PublicKey.Ed25519Key));
        var sc = c.Sign(message);
        Assert.True(c.PublicKey.Verify(message, sc));
        Assert.False(c.PublicKey.Verify(message, [2, .. sa[1..65], .. sc[65..]]));
        Assert.False(a.PublicKey.Verify(message, [2, .. sc[1..65], .. sa[65..]]));
    }

    [Fact]
    public void Verify_SchemeDowngrade_IsRejected()
    {
        var message = "hello"u8;
        using var hybrid = NodeIdentity.FromRandom(new Random(15));
        var secret = new byte[64];
        hybrid.ExportSecret(secret);
        using var classical = NodeIdentity.FromEd25519Seed(secret.AsSpan(0, 32));
        Assert.True(classical.PublicKey.Ed25519Key.SequenceEqual(hybrid.PublicKey.Ed25519Key));

        // A valid Ed25519-only signature by the very same Ed25519 key does not satisfy the hybrid key.
        var classicalSig = classical.Sign(message);
        Assert.True(classical.PublicKey.Verify(message, classicalSig));
        Assert.False(hybrid.PublicKey.Verify(message, classicalSig));
        Assert.False(hybrid.PublicKey.Verify(message, [2, .. classicalSig[1..]]));

        // The hybrid key's Ed25519 half as a scheme-1 key is another identity (another PeerId), and the
        // Ed25519 half of a hybrid signature does not verify the message under it: it signed the framed message.
        Assert.True(IdentityPublicKey.TryFromEd25519(hybrid.PublicKey.Ed25519Key, out var half));
        Assert.Equal(IdentityScheme.Ed25519, half.Scheme);
        Assert.NotEqual(hybrid.PeerId, half.PeerId);
        Assert.Equal(classical.PeerId, half.PeerId);
        var hybridSig = hybrid.Sign(message);
        Assert.False(half.Verify(message, [1, .. hybridSig[1..65]]));
        Assert.False(half.Verify(message, hybridSig));
        Assert.False(classical.PublicKey.Verify(message, hybridSig));
    }

    [Fact]
    public void Sign_LongMessage_UsesThePooledPathAndVerifies()
    {
        using var identity = NodeIdentity.FromRandom(new Random(16));
        var message = new byte[5000];
        new Random(17).NextBytes(message);
        var sig = identity.Sign(message);
        Assert.True(identity.PublicKey.Verify(message, sig));
        message[4999] ^= 1;
        Assert.False(identity.PublicKey.Verify(message, sig));
        Assert.True(identity.PublicKey.Verify([], identity.Sign([])));
    }

    [Fact]
    public void Ed25519Only_SignAndVerify_StillWork()
    {
        using var identity = NodeIdentity.FromEd25519Seed(Convert.FromHexString(Rfc8032Seed));
        var message = "find_node 42"u8.ToArray();
        var sig = identity.Sign(message);
        Assert.Equal(65, sig.Length);
        Assert.Equal(1, sig[0]);
        Assert.True(identity.PublicKey.Verify(message, sig));
        // Ed25519 is deterministic (RFC 8032): the identity layer signs the message as given.
        var raw = new byte[64];
        using var key = Key.Import(Algorithm.Ed25519, Convert.FromHexString(Rfc8032Seed));
        Algorithm.Ed25519.Sign(key, message, raw);
        Assert.Equal(raw, sig[1..]);
        for (var i = 0; i < sig.Length; i++)
        {
            sig[i] ^= 0x80;
            Assert.False(identity.PublicKey.Verify(message, sig));
            sig[i] ^= 0x80;
        }

        Assert.False(identity.PublicKey.Verify(message, [2, .. sig[1..]]));
    }

    [Fact]
    public void Verify_RandomSignatures_NeverThrowsNeverAccepts()
    {
        using var identity = NodeIdentity.FromRandom(new Random(18));
        using var classical = NodeIdentity.FromEd25519Seed(new byte[32]);
        var valid = identity.Sign("msg"u8);
        var random = new Random(23);
        for (var i = 0; i < 3000; i++)
        {
            var length = random.Next(4) switch
            {
                0 => random.Next(0, 80),
                1 => 3374,
                2 => random.Next(3300, 3400),
                _ => 65,
            };
            var sig = new byte[length];
            random.NextBytes(sig);
            if (sig.Length > 0 && random.Next(3) > 0) sig[0] = (byte)random.Next(1, 3);
            Assert.False(identity.PublicKey.Verify("msg"u8, sig));
            Assert.False(classical.PublicKey.Verify("msg"u8, sig));
        }

        // A valid Ed25519 half followed by random bytes reaches ML-DSA verification with garbage.
        for (var i = 0; i < 300; i++)
        {
            var sig = (byte[])valid.Clone();
            random.NextBytes(sig.AsSpan(65));
            Assert.False(identity.PublicKey.Verify("msg"u8, sig));
        }

        // Random hint sections (the part FIPS 204 HintBitUnpack must reject when malformed).
        for (var i = 0; i < 300; i++)
        {
            var sig = (byte[])valid.Clone();
            random.NextBytes(sig.AsSpan(3374 - 61));
            Assert.False(identity.PublicKey.Verify("msg"u8, sig));
        }
    }

    [Fact]
    public void TryDecode_RoundTripsAndRefusesMalformedKeys()
    {
        using var identity = NodeIdentity.FromRandom(new Random(19));
        Assert.True(IdentityPublicKey.TryDecode(identity.PublicKey.Encoded, out var decoded));
        Assert.Equal(identity.PublicKey, decoded);
        Assert.True(identity.PublicKey == decoded);
        Assert.Equal(identity.PeerId, decoded.PeerId);
        Assert.Equal(identity.PublicKey.GetHashCode(), decoded.GetHashCode());
        Assert.True(decoded.Verify("x"u8, identity.Sign("x"u8)));

        var encoded = identity.PublicKey.Encoded.ToArray();
        Assert.False(IdentityPublicKey.TryDecode([], out _));
        Assert.False(IdentityPublicKey.TryDecode(encoded.AsSpan(0, 33), out _));
        Assert.False(IdentityPublicKey.TryDecode(encoded.AsSpan(0, 1984), out _));
        Assert.False(IdentityPublicKey.TryDecode([.. encoded, 0], out _));
        Assert.False(IdentityPublicKey.TryDecode([0, .. encoded[1..]], out _));
        Assert.False(IdentityPublicKey.TryDecode([1, .. encoded[1..]], out _));
        Assert.False(IdentityPublicKey.TryDecode([3, .. encoded[1..]], out _));
        // The hybrid key's first 33 bytes relabelled as scheme 1 are a valid, different, Ed25519-only key.
        Assert.True(IdentityPublicKey.TryDecode([1, .. encoded[1..33]], out var classical));
        Assert.NotEqual(identity.PeerId, classical.PeerId);

        var smallOrder = (byte[])encoded.Clone();
        smallOrder.AsSpan(1, 32).Clear();
        smallOrder[1] = 1; // the neutral point as the Ed25519 half
        Assert.False(IdentityPublicKey.TryDecode(smallOrder, out _));
        Assert.Throws<FormatException>(() => IdentityPublicKey.Decode(smallOrder));
        Assert.False(IdentityPublicKey.TryDecode([1, .. smallOrder[1..33]], out _));

        var random = new Random(3);
        for (var i = 0; i < 3000; i++)
        {
            var bytes = new byte[random.Next(3) == 0 ? 1985 : random.Next(0, 40)];
            random.NextBytes(bytes);
            if (bytes.Length > 0 && random.Next(2) == 0) bytes[0] = (byte)random.Next(1, 3);
            if (IdentityPublicKey.TryDecode(bytes, out var key))
            {
                // Only a well-formed encoding can pass: the right length for its scheme and a valid
                // Ed25519 point (about 1 in 8 random 32-byte strings).
                Assert.Equal(bytes[0] == 1 ? 33 : 1985, bytes.Length);
                Assert.True(Algorithm.Ed25519.IsValidPublicKey(key.Ed25519Key));
                Assert.False(key.Verify("msg"u8, bytes));
            }
        }
    }

    [Fact]
    public void SchemeSizes_KnownAndUnknownSchemeBytes()
    {
        Assert.True(IdentityPublicKey.TryGetEncodedSize(1, out var keySize));
        Assert.Equal(33, keySize);
        Assert.True(IdentitySignature.TryGetSize(1, out var sigSize));
        Assert.Equal(65, sigSize);
        Assert.True(IdentityPublicKey.TryGetEncodedSize(2, out keySize));
        Assert.Equal(1 + 32 + MlDsaAlgorithm.PublicKeySize(MlDsaParameterSet.MlDsa65), keySize);
        Assert.True(IdentitySignature.TryGetSize(2, out sigSize));
        Assert.Equal(1 + 64 + MlDsaAlgorithm.SignatureSize(MlDsaParameterSet.MlDsa65), sigSize);
        Assert.Equal(IdentityPublicKey.MaxEncodedSize, keySize);
        Assert.Equal(IdentitySignature.MaxSize, sigSize);
        Assert.False(IdentityPublicKey.TryGetEncodedSize(0, out _));
        Assert.False(IdentitySignature.TryGetSize(3, out _));
        Assert.Equal("overlay/identity/v1"u8.ToArray(), IdentitySignature.Context.ToArray());
    }

    [Fact]
    public void Dispose_ThenSign_Throws_ButPublicKeyStillVerifies()
    {
        var identity = NodeIdentity.Generate();
        var sig = identity.Sign("x"u8);
        identity.Dispose();
        identity.Dispose();
        Assert.Throws<ObjectDisposedException>(() => identity.Sign("x"u8));
        Assert.Throws<ObjectDisposedException>(() => identity.ExportSecret(new byte[64]));
        Assert.True(identity.PublicKey.Verify("x"u8, sig));
    }

    [Fact]
    public async Task Dispose_WhileOtherThreadsSign_EverySignatureMadeVerifies()
    {
        var identity = NodeIdentity.FromRandom(new Random(20));
        var publicKey = identity.PublicKey;
        using var start = new Barrier(4);
        var signers = new Task<int>[3];
        for (var t = 0; t < signers.Length; t++)
        {
            signers[t] = Task.Run(() =>
            {
                start.SignalAndWait(TestContext.Current.CancellationToken);
                var good = 0;
                var buffer = new byte[IdentitySignature.HybridSize];
                for (var i = 0; i < 200; i++)
                {
                    try
                    {
                        identity.Sign("m"u8, buffer);
                    }
                    catch (ObjectDisposedException)
                    {
                        break;
                    }

                    // A signature that completed was made with the whole key, never a half-wiped one.
                    Assert.True(publicKey.Verify("m"u8, buffer));
                    good++;
                }

                return good;
            }, TestContext.Current.CancellationToken);
        }

        start.SignalAndWait(TestContext.Current.CancellationToken);
        identity.Sign("warm-up"u8);
        identity.Dispose();
        await Task.WhenAll(signers);
        Assert.Throws<ObjectDisposedException>(() => identity.Sign("m"u8));
    }

    [Fact]
    public void ArgumentErrors_Throw()
    {
        Assert.Throws<ArgumentException>(() => NodeIdentity.FromSeed(new byte[31]));
        Assert.Throws<ArgumentException>(() => NodeIdentity.FromSeed(new byte[33]));
        using var identity = NodeIdentity.Generate();
        Assert.Throws<ArgumentException>(() => identity.Sign("x"u8, new byte[3373]));
        Assert.Throws<ArgumentException>(() => identity.Sign("x"u8, new byte[65]));
    }

    [Fact]
    public void TryFromEd25519_RawKey_GivesTheEd25519OnlyKey()
    {
        using var identity = NodeIdentity.FromEd25519Seed(Convert.FromHexString(Rfc8032Seed));
        Assert.True(IdentityPublicKey.TryFromEd25519(identity.PublicKey.KeyMaterial, out var key));
        Assert.Equal(identity.PublicKey, key);
        Assert.Equal(identity.PeerId, key.PeerId);
        Assert.False(IdentityPublicKey.TryFromEd25519(identity.PublicKey.Encoded, out _));
        Assert.False(IdentityPublicKey.TryFromEd25519(new byte[32], out _));
        Assert.False(IdentityPublicKey.TryFromEd25519([], out _));
    }
}
