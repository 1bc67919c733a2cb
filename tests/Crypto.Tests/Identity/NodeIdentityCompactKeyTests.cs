using Overlay.Crypto.MlDsa;
using Overlay.Crypto.Tests.MlDsaTests;

namespace Overlay.Crypto.Tests.Identity;

/// <summary>
/// A hybrid identity keeps its ML-DSA-65 key encoded and expands it per signature: its signatures must be those
/// of the key expanded once, its key file must round-trip as before, and disposal must wipe the encoding.
/// </summary>
public sealed class NodeIdentityCompactKeyTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("overlay-compact-key-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Sign_MlDsaHalf_EqualsTheKeyExpandedOnceAndVerifies()
    {
        using var identity = NodeIdentity.FromRandom(new Random(8100));
        var mlDsa = identity.MlDsaKey!;
        var reference = new MlDsaCompactKeyTests.ExpandedOnceKey(MlDsaParameterSet.MlDsa65, mlDsa);
        Assert.Equal(identity.PublicKey.MlDsa65Key.ToArray(), reference.PublicKey);

        var random = new Random(8101);
        var signature = new byte[IdentitySignature.MlDsa65SignatureSize];
        for (var round = 0; round < 4; round++)
        {
            var message = new byte[random.Next(1, 300)];
            random.NextBytes(message);
            mlDsa.SignDeterministic(message, IdentitySignature.Context, signature);
            Assert.Equal(reference.Sign(message, IdentitySignature.Context, new byte[MlDsaAlgorithm.RandomSize]), signature);

            // The hedged hybrid signature, made through the same per-call expansion, verifies as a whole.
            Assert.True(identity.PublicKey.Verify(message, identity.Sign(message)));
        }
    }

    [Fact]
    public void KeyFile_RoundTrip_SameSecretSameSignaturesSameFile()
    {
        using var identity = NodeIdentity.FromRandom(new Random(8200));
        var path = Path.Combine(_directory, "node.key");
        IdentityKeyFile.Create(path, identity);
        using var loaded = IdentityKeyFile.Load(path, default);

        Assert.Equal(identity.PublicKey, loaded.PublicKey);
        var secret = new byte[NodeIdentity.HybridSecretSize];
        var loadedSecret = new byte[NodeIdentity.HybridSecretSize];
        Assert.Equal(secret.Length, identity.ExportSecret(secret));
        Assert.Equal(secret.Length, loaded.ExportSecret(loadedSecret));
        Assert.Equal(secret, loadedSecret);

        var encoded = new byte[MlDsaAlgorithm.PrivateKeySize(MlDsaParameterSet.MlDsa65)];
        var loadedEncoded = new byte[encoded.Length];
        identity.MlDsaKey!.ExportPrivateKey(encoded);
        loaded.MlDsaKey!.ExportPrivateKey(loadedEncoded);
        Assert.Equal(encoded, loadedEncoded);

        var signature = new byte[IdentitySignature.MlDsa65SignatureSize];
        var loadedSignature = new byte[signature.Length];
        identity.MlDsaKey.SignDeterministic("m"u8, IdentitySignature.Context, signature);
        loaded.MlDsaKey.SignDeterministic("m"u8, IdentitySignature.Context, loadedSignature);
        Assert.Equal(signature, loadedSignature);

        // Saving the loaded identity again writes the same bytes: the file holds the seeds, as before.
        var again = Path.Combine(_directory, "again.key");
        IdentityKeyFile.Create(again, loaded);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(again));
        Assert.Equal(10 + IdentityPublicKey.HybridEncodedSize + NodeIdentity.HybridSecretSize + 32, new FileInfo(path).Length);
    }

    [Fact]
    public void Dispose_ZeroesTheEncodedMlDsaKey()
    {
        var identity = NodeIdentity.FromRandom(new Random(8300));
        var stored = identity.MlDsaKey!.StoredSecret;
        Assert.Equal(MlDsaAlgorithm.PrivateKeySize(MlDsaParameterSet.MlDsa65), stored.Length);
        Assert.True(stored.ContainsAnyExcept((byte)0));
        identity.Sign("before"u8);

        identity.Dispose();
        Assert.False(stored.ContainsAnyExcept((byte)0));
        Assert.Throws<ObjectDisposedException>(() => identity.Sign("after"u8));
    }

    [Fact]
    public void Ed25519Only_HasNoMlDsaKey()
    {
        using var identity = NodeIdentity.FromEd25519Seed(new byte[32]);
        Assert.Null(identity.MlDsaKey);
    }
}
