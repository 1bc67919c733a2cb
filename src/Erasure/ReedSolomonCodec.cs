using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Overlay.Erasure.Decoding;
using Overlay.Erasure.Galois;
using Overlay.Erasure.Kernels;

namespace Overlay.Erasure;

/// <summary>
/// A systematic Reed–Solomon code over GF(2^8) with k data shards and m parity shards, k + m ≤ 256:
/// the data shards are the stripe's bytes unchanged, the parity shards are linear combinations of
/// them, and any k of the k + m shards rebuild the rest (docs/ERASURE.md). Shards are numbered
/// 0 … k − 1 for data and k … k + m − 1 for parity; the shards of one stripe all have one length,
/// of any positive size. Instances are immutable apart from a bounded cache of decode plans, and
/// safe to share between threads. After the first call for an erasure pattern, calls allocate nothing.
/// </summary>
public sealed unsafe class ReedSolomonCodec
{
    /// <summary>The largest k + m: shards are told apart by distinct field elements, and GF(2^8) has 256.</summary>
    public const int MaxTotalShards = 256;

    /// <summary>The default bound on decode plans kept, in bytes: at least 2,600 plans of a 10+4 code (6,600 with GFNI).</summary>
    public const long DefaultDecodeCacheBytes = 4L << 20;

    // Parity bytes (all m shards together) computed at a time when verifying, so the scratch stays in L2.
    private const int VerifyBlockBytes = 256 * 1024;

    private readonly byte[] _parityRows;
    private readonly CoefficientMatrix _encoder;
    private readonly DecodePlanCache _plans;

    /// <summary>A k + m code with the default decode-plan cache.</summary>
    /// <exception cref="ErasureCodingException">k &lt; 1, m &lt; 1 or k + m &gt; 256 (see <see cref="ErasureCodingException.Error"/>).</exception>
    public ReedSolomonCodec(int dataShards, int parityShards)
        : this(dataShards, parityShards, DefaultDecodeCacheBytes)
    {
    }

    /// <summary>A k + m code keeping decode plans up to <paramref name="decodeCacheBytes"/> bytes (0 keeps none).</summary>
    /// <exception cref="ErasureCodingException">k &lt; 1, m &lt; 1 or k + m &gt; 256 (see <see cref="ErasureCodingException.Error"/>).</exception>
    public ReedSolomonCodec(int dataShards, int parityShards, long decodeCacheBytes)
        : this(dataShards, parityShards, decodeCacheBytes, GfKernels.Best)
    {
    }

    /// <summary>As the public constructors, on a chosen kernel (tests and benchmarks compare them).</summary>
    internal ReedSolomonCodec(int dataShards, int parityShards, long decodeCacheBytes, GfKernel kernel)
    {
        var error = Validate(dataShards, parityShards);
        if (error != ErasureError.None)
        {
            throw new ErasureCodingException(error, DescribeParameters(error, dataShards, parityShards));
        }

        if (!GfKernels.IsSupported(kernel))
        {
            throw new PlatformNotSupportedException($"this processor lacks the instructions of the {kernel} kernel");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(decodeCacheBytes);
        DataShards = dataShards;
        ParityShards = parityShards;
        Kernel = kernel;
        _parityRows = GaloisMatrix.CauchyParityRows(dataShards, parityShards);
        _encoder = new CoefficientMatrix(kernel, _parityRows, parityShards, dataShards);
        _plans = new DecodePlanCache(decodeCacheBytes);
    }

    /// <summary>k: the shards holding the stripe's bytes.</summary>
    public int DataShards { get; }

    /// <summary>m: the shards that can be lost without losing data.</summary>
    public int ParityShards { get; }

    /// <summary>k + m.</summary>
    public int TotalShards => DataShards + ParityShards;

    internal GfKernel Kernel { get; }

    internal DecodePlanCache Plans => _plans;

    /// <summary>Checks code parameters (for example read from a manifest) without building a codec.</summary>
    public static ErasureError Validate(int dataShards, int parityShards) =>
        dataShards < 1 ? ErasureError.InvalidDataShardCount
        : parityShards < 1 ? ErasureError.InvalidParityShardCount
        : (long)dataShards + parityShards > MaxTotalShards ? ErasureError.TooManyShards
        : ErasureError.None;

    /// <summary>Builds a codec from parameters that may be invalid, returning why instead of throwing.</summary>
    public static bool TryCreate(int dataShards, int parityShards, [NotNullWhen(true)] out ReedSolomonCodec? codec, out ErasureError error)
    {
        error = Validate(dataShards, parityShards);
        codec = error == ErasureError.None ? new ReedSolomonCodec(dataShards, parityShards) : null;
        return codec is not null;
    }

    /// <summary>
    /// Computes the parity of one stripe held contiguously: <paramref name="data"/> is the k data shards
    /// back to back (k · L bytes), <paramref name="parity"/> receives the m parity shards back to back
    /// (m · L bytes). The two must not overlap.
    /// </summary>
    /// <exception cref="ErasureCodingException">The lengths are not k · L and m · L for one L ≥ 1.</exception>
    [SkipLocalsInit]
    public void Encode(ReadOnlySpan<byte> data, Span<byte> parity)
    {
        if (data.IsEmpty)
        {
            throw new ErasureCodingException(ErasureError.EmptyShards, "the stripe's data is empty");
        }

        var length = data.Length / DataShards;
        if (data.Length % DataShards != 0 || parity.Length != (long)length * ParityShards)
        {
            throw new ErasureCodingException(
                ErasureError.ShardLengthMismatch,
                $"{DataShards}+{ParityShards} encode given {data.Length} data bytes and {parity.Length} parity bytes; " +
                $"data must be {DataShards} shards of one length L and parity {ParityShards} · L bytes");
        }

        var inputs = stackalloc byte*[DataShards];
        var outputs = stackalloc byte*[ParityShards];
        fixed (byte* dataStart = data)
        fixed (byte* parityStart = parity)
        {
            for (var j = 0; j < DataShards; j++)
            {
                inputs[j] = dataStart + ((nint)j * length);
            }

            for (var r = 0; r < ParityShards; r++)
            {
                outputs[r] = parityStart + ((nint)r * length);
            }

            StripeMultiplier.Multiply(_encoder, 0, ParityShards, inputs, outputs, length);
        }
    }

    /// <summary>
    /// Computes the parity of one stripe: <paramref name="shards"/> holds k + m buffers of one length,
    /// data shards first; the last m are overwritten with parity.
    /// </summary>
    /// <exception cref="ErasureCodingException">Not k + m shards, or shards of different or zero length.</exception>
    [SkipLocalsInit]
    public void Encode(ReadOnlySpan<Memory<byte>> shards)
    {
        var error = CheckStripe(shards, out var length);
        if (error != ErasureError.None)
        {
            throw new ErasureCodingException(error, DescribeStripe(error, shards.Length));
        }

        var pointers = stackalloc byte*[TotalShards];
        var pins = new ShardPins(TotalShards);
        try
        {
            for (var i = 0; i < TotalShards; i++)
            {
                pointers[i] = pins.Pin(shards[i]);
            }

            StripeMultiplier.Multiply(_encoder, 0, ParityShards, pointers, pointers + DataShards, length);
        }
        finally
        {
            pins.Dispose();
        }
    }

    /// <summary>
    /// Rebuilds every missing shard, data and parity (what a repair needs). <paramref name="shards"/>
    /// holds k + m buffers of the stripe's shard length; <paramref name="present"/> says which hold a
    /// received shard. The others are overwritten; present shards are only read.
    /// </summary>
    /// <returns>False, with <paramref name="error"/> set and nothing written, when fewer than k shards are present or the buffers do not fit.</returns>
    public bool TryReconstruct(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<bool> present, out ErasureError error) =>
        TryReconstruct(shards, present, dataOnly: false, out error);

    /// <summary>
    /// Rebuilds the missing data shards only (what a read needs); missing parity shards are left
    /// alone and their buffers may be empty.
    /// </summary>
    /// <returns>False, with <paramref name="error"/> set and nothing written, when fewer than k shards are present or the buffers do not fit.</returns>
    public bool TryReconstructData(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<bool> present, out ErasureError error) =>
        TryReconstruct(shards, present, dataOnly: true, out error);

    /// <summary>
    /// Whether the m parity shards of <paramref name="shards"/> are the parity of its k data shards,
    /// computed a block at a time (no copy of the stripe is made).
    /// </summary>
    /// <returns>False with <see cref="ErasureError.ParityMismatch"/> when some shard is corrupt, or with another error when the shards do not fit.</returns>
    [SkipLocalsInit]
    public bool TryVerify(ReadOnlySpan<Memory<byte>> shards, out ErasureError error)
    {
        error = CheckStripe(shards, out var length);
        if (error != ErasureError.None)
        {
            return false;
        }

        // A multiple of every kernel's step, so only the stripe's own ragged end takes the tail path.
        var block = Math.Min(length, Math.Max(256, VerifyBlockBytes / ParityShards / 256 * 256));
        var scratch = ArrayPool<byte>.Shared.Rent(block * ParityShards);
        var pointers = stackalloc byte*[TotalShards];
        var inputs = stackalloc byte*[DataShards];
        var outputs = stackalloc byte*[ParityShards];
        var pins = new ShardPins(TotalShards);
        try
        {
            for (var i = 0; i < TotalShards; i++)
            {
                pointers[i] = pins.Pin(shards[i]);
            }

            fixed (byte* computed = scratch)
            {
                for (var r = 0; r < ParityShards; r++)
                {
                    outputs[r] = computed + ((nint)r * block);
                }

                for (nint start = 0; start < length; start += block)
                {
                    var count = (int)Math.Min(block, length - start);
                    for (var j = 0; j < DataShards; j++)
                    {
                        inputs[j] = pointers[j] + start;
                    }

                    StripeMultiplier.Multiply(_encoder, 0, ParityShards, inputs, outputs, count);
                    for (var r = 0; r < ParityShards; r++)
                    {
                        if (!new ReadOnlySpan<byte>(outputs[r], count).SequenceEqual(new ReadOnlySpan<byte>(pointers[DataShards + r] + start, count)))
                        {
                            error = ErasureError.ParityMismatch;
                            return false;
                        }
                    }
                }
            }

            return true;
        }
        finally
        {
            pins.Dispose();
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    [SkipLocalsInit]
    private bool TryReconstruct(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<bool> present, bool dataOnly, out ErasureError error)
    {
        error = CheckReconstruction(shards, present, dataOnly, out var length, out var missing);
        if (error != ErasureError.None || missing == 0)
        {
            return error == ErasureError.None;
        }

        var pattern = new ErasurePattern(present, dataOnly);
        if (!_plans.TryGet(pattern, out var plan))
        {
            plan = _plans.Add(pattern, DecodePlan.Build(Kernel, _parityRows, DataShards, ParityShards, present, dataOnly));
        }

        var inputs = stackalloc byte*[DataShards];
        var outputs = stackalloc byte*[plan.Outputs.Length];
        var pins = new ShardPins(DataShards + plan.Outputs.Length);
        try
        {
            for (var j = 0; j < DataShards; j++)
            {
                inputs[j] = pins.Pin(shards[plan.Sources[j]]);
            }

            for (var r = 0; r < plan.Outputs.Length; r++)
            {
                outputs[r] = pins.Pin(shards[plan.Outputs[r]]);
            }

            StripeMultiplier.Multiply(plan.Matrix, 0, plan.Outputs.Length, inputs, outputs, length);
            return true;
        }
        finally
        {
            pins.Dispose();
        }
    }

    // Every present shard has one positive length, and so does every buffer to be written.
    private ErasureError CheckReconstruction(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<bool> present, bool dataOnly, out int length, out int missing)
    {
        length = 0;
        missing = 0;
        if (shards.Length != TotalShards || present.Length != TotalShards)
        {
            return ErasureError.ShardCountMismatch;
        }

        var found = 0;
        for (var i = 0; i < TotalShards; i++)
        {
            if (!present[i])
            {
                continue;
            }

            if (found++ == 0)
            {
                length = shards[i].Length;
            }
            else if (shards[i].Length != length)
            {
                return ErasureError.ShardLengthMismatch;
            }
        }

        if (found < DataShards)
        {
            return ErasureError.TooFewShards;
        }

        if (length == 0)
        {
            return ErasureError.EmptyShards;
        }

        for (var i = 0; i < TotalShards; i++)
        {
            if (!present[i] && (i < DataShards || !dataOnly))
            {
                if (shards[i].Length != length)
                {
                    return ErasureError.ShardLengthMismatch;
                }

                missing++;
            }
        }

        return ErasureError.None;
    }

    private ErasureError CheckStripe(ReadOnlySpan<Memory<byte>> shards, out int length)
    {
        length = 0;
        if (shards.Length != TotalShards)
        {
            return ErasureError.ShardCountMismatch;
        }

        length = shards[0].Length;
        for (var i = 1; i < shards.Length; i++)
        {
            if (shards[i].Length != length)
            {
                return ErasureError.ShardLengthMismatch;
            }
        }

        return length == 0 ? ErasureError.EmptyShards : ErasureError.None;
    }

    private string DescribeStripe(ErasureError error, int count) => error switch
    {
        ErasureError.ShardCountMismatch => $"a {DataShards}+{ParityShards} stripe has {TotalShards} shards, not {count}",
        ErasureError.ShardLengthMismatch => $"the {TotalShards} shards of a {DataShards}+{ParityShards} stripe must all have one length",
        _ => "the shards of the stripe are empty",
    };

    private static string DescribeParameters(ErasureError error, int dataShards, int parityShards) => error switch
    {
        ErasureError.InvalidDataShardCount => $"data shards must be at least 1, not {dataShards}",
        ErasureError.InvalidParityShardCount => $"parity shards must be at least 1, not {parityShards}",
        _ => $"data + parity shards must be at most {MaxTotalShards}, not {dataShards} + {parityShards}",
    };
}
