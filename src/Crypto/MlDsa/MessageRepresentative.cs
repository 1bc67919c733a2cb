using System.Runtime.CompilerServices;

namespace Overlay.Crypto.MlDsa;

/// <summary>The three ways FIPS 204 forms μ from a message (§5.2, §5.4 and the internal interface).</summary>
[SkipLocalsInit]
internal static class MessageRepresentative
{
    /// <summary>Pure ML-DSA: M' = 0 ‖ |ctx| ‖ ctx ‖ M (Algorithm 2 line 10).</summary>
    public static void External(ReadOnlySpan<byte> tr, ReadOnlySpan<byte> context, ReadOnlySpan<byte> message, Span<byte> mu)
    {
        ReadOnlySpan<byte> header = [0, (byte)context.Length];
        ComputeMu(tr, header, context, default, message, mu);
    }

    /// <summary>HashML-DSA: M' = 1 ‖ |ctx| ‖ ctx ‖ OID ‖ PH(M) (Algorithm 4 line 18).</summary>
    public static void PreHashed(ReadOnlySpan<byte> tr, ReadOnlySpan<byte> context, MlDsaPreHashAlgorithm algorithm, ReadOnlySpan<byte> message, Span<byte> mu)
    {
        Span<byte> oid = stackalloc byte[PreHash.OidBytes];
        Span<byte> digest = stackalloc byte[PreHash.MaxDigestBytes];
        var length = PreHash.Compute(algorithm, message, oid, digest);
        Span<byte> header = [1, (byte)context.Length];
        var shake = Shake.Create256();
        shake.Absorb(tr);
        shake.Absorb(header);
        shake.Absorb(context);
        shake.Absorb(oid);
        shake.Absorb(digest.Slice(0, length));
        shake.Squeeze(mu.Slice(0, 64));
    }

    /// <summary>The internal interface: M' as given.</summary>
    public static void Internal(ReadOnlySpan<byte> tr, ReadOnlySpan<byte> messagePrime, Span<byte> mu) =>
        ComputeMu(tr, default, default, default, messagePrime, mu);

    /// <summary>μ = H(tr ‖ M', 64) where M' = header ‖ context ‖ oid ‖ message (Algorithm 7 line 6 with §5.2's M').</summary>
    public static void ComputeMu(ReadOnlySpan<byte> tr, ReadOnlySpan<byte> header, ReadOnlySpan<byte> context, ReadOnlySpan<byte> oid, ReadOnlySpan<byte> message, Span<byte> mu)
    {
        var shake = Shake.Create256();
        shake.Absorb(tr);
        shake.Absorb(header);
        shake.Absorb(context);
        shake.Absorb(oid);
        shake.Absorb(message);
        shake.Squeeze(mu.Slice(0, 64));
    }
}
