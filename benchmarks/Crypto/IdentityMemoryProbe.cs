using System.Diagnostics;
using Overlay.Crypto;
using Overlay.Crypto.MlDsa;

namespace Overlay.Benchmarks.Crypto;

/// <summary>
/// What an identity costs to hold and to use, for simulations that keep thousands of nodes in one process:
/// managed heap bytes per object (GC.GetTotalMemory after a full collection, before and after creating
/// <c>count</c> of them and keeping them alive), then signing and verification by process CPU time (best of
/// several batches, so time spent descheduled on a shared host is not counted). Run with
/// <c>identity-memory [count]</c>.
/// </summary>
public static class IdentityMemoryProbe
{
    private const int Batches = 7;
    private const int CallsPerBatch = 400;

    public static void Run(TextWriter output, int count)
    {
        var random = new Random(1);
        var seeds = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            seeds[i] = new byte[NodeIdentity.SeedSize];
            random.NextBytes(seeds[i]);
        }

        // Warm up every code path once, so JIT and static data are not counted against the first object.
        using (var warm = NodeIdentity.FromSeed(seeds[0]))
        {
            _ = IdentityPublicKey.TryDecode(warm.PublicKey.Encoded, out _);
            _ = MlDsaPublicKey.TryImport(MlDsaParameterSet.MlDsa65, warm.PublicKey.MlDsa65Key, out _);
            warm.Sign(new byte[64]);
        }

        using (MlDsaPrivateKey.FromSeed(MlDsaParameterSet.MlDsa65, seeds[0]))
        {
        }

        var identities = new NodeIdentity[count];
        var perIdentity = Measure(i => identities[i] = NodeIdentity.FromSeed(seeds[i]), count);
        var mlDsaKeys = new MlDsaPrivateKey[count];
        var perMlDsaKey = Measure(i => mlDsaKeys[i] = MlDsaPrivateKey.FromSeed(MlDsaParameterSet.MlDsa65, seeds[i]), count);
        var peerKeys = new IdentityPublicKey[count];
        var perPeerKey = Measure(i => peerKeys[i] = IdentityPublicKey.Decode(identities[i].PublicKey.Encoded), count);
        var verifyingKeys = new MlDsaPublicKey[count];
        var perVerifyingKey = Measure(
            i => verifyingKeys[i] = MlDsaPublicKey.TryImport(MlDsaParameterSet.MlDsa65, identities[i].PublicKey.MlDsa65Key, out var key) ? key : null!,
            count);

        output.WriteLine($"| Object ({count:N0} kept alive) | Managed bytes each |");
        output.WriteLine("|---|---:|");
        output.WriteLine($"| `NodeIdentity` (hybrid, `FromSeed`) | {perIdentity:N0} |");
        output.WriteLine($"| `MlDsaPrivateKey` ML-DSA-65 (`FromSeed`) | {perMlDsaKey:N0} |");
        output.WriteLine($"| `IdentityPublicKey` hybrid (a peer's key, `Decode`) | {perPeerKey:N0} |");
        output.WriteLine($"| `MlDsaPublicKey` ML-DSA-65 (expanded verifying key) | {perVerifyingKey:N0} |");
        output.WriteLine();

        var message = new byte[64];
        random.NextBytes(message);
        var signature = new byte[IdentitySignature.HybridSize];
        var mlDsaSignature = new byte[IdentitySignature.MlDsa65SignatureSize];
        var identity = identities[0];
        var mlDsaKey = mlDsaKeys[0];
        identity.Sign(message, signature);
        mlDsaKey.Sign(message, IdentitySignature.Context, mlDsaSignature);
        var publicKey = identity.PublicKey;
        Span<byte> mlDsaPublicKey = stackalloc byte[IdentityPublicKey.MlDsa65PublicKeySize];
        mlDsaKey.ExportPublicKey(mlDsaPublicKey);
        var mlDsaPublic = mlDsaPublicKey.ToArray();

        output.WriteLine($"| Operation (64-byte message) | µs per call (CPU time, best of {Batches} × {CallsPerBatch}) |");
        output.WriteLine("|---|---:|");
        output.WriteLine($"| `NodeIdentity.Sign` hybrid | {CpuMicroseconds(() => identity.Sign(message, signature)):F1} |");
        output.WriteLine($"| `NodeIdentity.Sign` hybrid, rotating over all {count:N0} identities | {CpuMicroseconds(RotatingSign(identities, message, signature)):F1} |");
        output.WriteLine($"| `IdentityPublicKey.Verify` hybrid | {CpuMicroseconds(() => publicKey.Verify(message, signature)):F1} |");
        output.WriteLine($"| `MlDsaPrivateKey.Sign` ML-DSA-65 (hedged) | {CpuMicroseconds(() => mlDsaKey.Sign(message, IdentitySignature.Context, mlDsaSignature)):F1} |");
        output.WriteLine($"| `MlDsaPrivateKey.SignDeterministic` ML-DSA-65 (one message: a fixed number of attempts) | {CpuMicroseconds(() => mlDsaKey.SignDeterministic(message, IdentitySignature.Context, mlDsaSignature)):F1} |");
        output.WriteLine($"| `MlDsaAlgorithm.Verify` ML-DSA-65 | {CpuMicroseconds(() => MlDsaAlgorithm.Verify(MlDsaParameterSet.MlDsa65, mlDsaPublic, message, IdentitySignature.Context, mlDsaSignature)):F1} |");

        var parameters = MlDsaParameters.Get(MlDsaParameterSet.MlDsa65);
        var encoded = new byte[parameters.PrivateKeySize];
        mlDsaKey.ExportPrivateKey(encoded);
        var expanded = new int[MlDsaKeys.ExpandedLength(parameters)];
        var seedMaterial = new byte[MlDsaKeys.SeedMaterialBytes];
        output.WriteLine($"| ML-DSA-65 key expansion (skDecode, NTT of s1, s2, t0; Â from ρ) | {CpuMicroseconds(() => MlDsaKeys.TryExpandPrivateKey(parameters, encoded, expanded, seedMaterial)):F1} |");

        foreach (var key in mlDsaKeys)
        {
            key.Dispose();
        }

        foreach (var item in identities)
        {
            item.Dispose();
        }

        GC.KeepAlive(peerKeys);
        GC.KeepAlive(verifyingKeys);
    }

    private static Action RotatingSign(NodeIdentity[] identities, byte[] message, byte[] signature)
    {
        var next = 0;
        return () =>
        {
            identities[next].Sign(message, signature);
            next = (next + 1) % identities.Length;
        };
    }

    private static long Measure(Action<int> create, int count)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < count; i++)
        {
            create(i);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        return (after - before) / count;
    }

    private static double CpuMicroseconds(Action action)
    {
        for (var i = 0; i < CallsPerBatch; i++)
        {
            action();
        }

        var best = double.MaxValue;
        using var process = Process.GetCurrentProcess();
        for (var batch = 0; batch < Batches; batch++)
        {
            process.Refresh();
            var start = process.TotalProcessorTime;
            for (var i = 0; i < CallsPerBatch; i++)
            {
                action();
            }

            process.Refresh();
            best = Math.Min(best, (process.TotalProcessorTime - start).TotalMicroseconds / CallsPerBatch);
        }

        return best;
    }
}
