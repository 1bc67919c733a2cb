using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Overlay.Crypto;

/// <summary>One-shot BLAKE3 (https://github.com/BLAKE3-team/BLAKE3-specs). Allocates nothing.</summary>
public static unsafe class Blake3
{
    /// <summary>Default output length in bytes.</summary>
    public const int HashSize = 32;

    /// <summary>Key length for keyed hashing, in bytes.</summary>
    public const int KeySize = 32;

    /// <summary>Compression block length in bytes.</summary>
    public const int BlockSize = 64;

    /// <summary>Chunk length in bytes: the leaves of the hash tree.</summary>
    public const int ChunkSize = 1024;

    /// <summary>The fastest implementation this processor supports; used when none is named.</summary>
    public static Blake3Implementation Best { get; } =
        IsSupported(Blake3Implementation.Vector512) ? Blake3Implementation.Vector512
        : IsSupported(Blake3Implementation.Vector256) ? Blake3Implementation.Vector256
        : IsSupported(Blake3Implementation.Vector128) ? Blake3Implementation.Vector128
        : Blake3Implementation.Scalar;

    /// <summary>Whether <paramref name="implementation"/> runs on this processor (vector paths need native instructions).</summary>
    public static bool IsSupported(Blake3Implementation implementation) => implementation switch
    {
        Blake3Implementation.Scalar => true,
        Blake3Implementation.Vector128 => Vector128.IsHardwareAccelerated && BitConverter.IsLittleEndian,
        Blake3Implementation.Vector256 => Avx2.IsSupported,
        Blake3Implementation.Vector512 => Avx512F.IsSupported && Avx2.IsSupported,
        _ => false,
    };

    /// <summary>Hashes <paramref name="input"/>, filling all of <paramref name="output"/> (any length).</summary>
    public static void Hash(ReadOnlySpan<byte> input, Span<byte> output) => Hash(input, output, Best);

    /// <summary>As <see cref="Hash(ReadOnlySpan{byte}, Span{byte})"/>, on a chosen implementation (for tests and measurements).</summary>
    /// <exception cref="PlatformNotSupportedException">The processor lacks the instructions <paramref name="implementation"/> needs.</exception>
    public static void Hash(ReadOnlySpan<byte> input, Span<byte> output, Blake3Implementation implementation)
    {
        EnsureSupported(implementation);
        fixed (uint* iv = Blake3Compression.IV)
        {
            Blake3Tree.Hash(implementation, input, iv, 0, 0, output);
        }
    }

    /// <summary>Keyed hash (a MAC / PRF) under a 32-byte key.</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not <see cref="KeySize"/> bytes.</exception>
    public static void KeyedHash(ReadOnlySpan<byte> key, ReadOnlySpan<byte> input, Span<byte> output) => KeyedHash(key, input, output, Best);

    /// <summary>As <see cref="KeyedHash(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/>, on a chosen implementation.</summary>
    [SkipLocalsInit]
    public static void KeyedHash(ReadOnlySpan<byte> key, ReadOnlySpan<byte> input, Span<byte> output, Blake3Implementation implementation)
    {
        EnsureKey(key);
        EnsureSupported(implementation);
        var words = stackalloc uint[8];
        Blake3Hasher.LoadWords(key, new Span<uint>(words, 8));
        Blake3Tree.Hash(implementation, input, words, (uint)Blake3Flags.KeyedHash, 0, output);
    }

    /// <summary>Derives key material from <paramref name="keyMaterial"/> under a hard-coded context string.</summary>
    public static void DeriveKey(string context, ReadOnlySpan<byte> keyMaterial, Span<byte> output) => DeriveKey(context, keyMaterial, output, Best);

    /// <summary>As <see cref="DeriveKey(string, ReadOnlySpan{byte}, Span{byte})"/>, on a chosen implementation.</summary>
    [SkipLocalsInit]
    public static void DeriveKey(string context, ReadOnlySpan<byte> keyMaterial, Span<byte> output, Blake3Implementation implementation)
    {
        ArgumentNullException.ThrowIfNull(context);
        EnsureSupported(implementation);
        var words = stackalloc uint[8];
        ContextKey(context, implementation, new Span<uint>(words, 8));
        Blake3Tree.Hash(implementation, keyMaterial, words, (uint)Blake3Flags.DeriveKeyMaterial, 0, output);
    }

    /// <summary>
    /// Hashes <paramref name="input"/> on up to <paramref name="maxDegreeOfParallelism"/> threads; the output is
    /// identical to <see cref="Hash(ReadOnlySpan{byte}, Span{byte})"/>. Worth it from a few hundred KiB up;
    /// smaller inputs are hashed on the calling thread. Allocates a little per call (task bookkeeping).
    /// </summary>
    /// <param name="input">The data.</param>
    /// <param name="output">Receives output bytes 0..<c>output.Length</c>.</param>
    /// <param name="maxDegreeOfParallelism">At least 1, or -1 for one thread per processor.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDegreeOfParallelism"/> is 0 or below -1.</exception>
    public static void HashParallel(ReadOnlySpan<byte> input, Span<byte> output, int maxDegreeOfParallelism) =>
        HashParallel(input, output, maxDegreeOfParallelism, Best);

    /// <summary>As <see cref="HashParallel(ReadOnlySpan{byte}, Span{byte}, int)"/>, on a chosen implementation.</summary>
    public static void HashParallel(ReadOnlySpan<byte> input, Span<byte> output, int maxDegreeOfParallelism, Blake3Implementation implementation)
    {
        if (maxDegreeOfParallelism == 0 || maxDegreeOfParallelism < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism, "Use at least 1 thread, or -1 for one per processor.");
        }

        EnsureSupported(implementation);
        var threads = maxDegreeOfParallelism == -1 ? Environment.ProcessorCount : maxDegreeOfParallelism;
        fixed (uint* iv = Blake3Compression.IV)
        {
            Blake3Tree.HashParallel(implementation, input, iv, 0, output, threads);
        }
    }

    internal static void EnsureSupported(Blake3Implementation implementation)
    {
        if (!IsSupported(implementation))
        {
            throw new PlatformNotSupportedException($"The BLAKE3 {implementation} implementation needs instructions this processor lacks.");
        }
    }

    internal static void EnsureKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"A BLAKE3 key is {KeySize} bytes, not {key.Length}.", nameof(key));
        }
    }

    /// <summary>The derive-key context key (spec §2.3): the context string hashed in DERIVE_KEY_CONTEXT mode.</summary>
    [SkipLocalsInit]
    internal static void ContextKey(string context, Blake3Implementation implementation, Span<uint> words)
    {
        var maxBytes = System.Text.Encoding.UTF8.GetMaxByteCount(context.Length);
        byte[]? rented = null;
        var buffer = maxBytes <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            var written = System.Text.Encoding.UTF8.GetBytes(context, buffer);
            Span<byte> contextKey = stackalloc byte[KeySize];
            fixed (uint* iv = Blake3Compression.IV)
            {
                Blake3Tree.Hash(implementation, buffer[..written], iv, (uint)Blake3Flags.DeriveKeyContext, 0, contextKey);
            }

            Blake3Hasher.LoadWords(contextKey, words);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
