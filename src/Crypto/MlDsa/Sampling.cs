using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Overlay.Crypto.MlDsa;

/// <summary>The pseudorandom samplers of FIPS 204 §7.3: ExpandA, ExpandS, ExpandMask and SampleInBall.</summary>
[SkipLocalsInit]
internal static partial class Sampling
{
    private const int N = MlDsaParameters.N;
    private const int Q = MlDsaParameters.Q;

    /// <summary>
    /// Five SHAKE128 blocks give 280 candidates for 256 coefficients; each is accepted with probability
    /// q/2^23 ≈ 0.999, so a sixth block is almost never needed.
    /// </summary>
    public const int UniformBlocks = 5;

    /// <summary>
    /// RejNTTPoly's inner loop (FIPS 204 Algorithm 30, CoeffFromThreeBytes): 23-bit little-endian candidates, kept when
    /// below q. Returns the new fill level. The matrix is public, so the data-dependent loop leaks nothing.
    /// </summary>
    public static int RejectUniform(Span<int> a, int filled, ReadOnlySpan<byte> buffer)
    {
        var pos = 0;
        if (Avx512Vbmi.IsSupported && SimdControl.Level == SimdLevel.Vector512)
        {
            // Sixteen candidates per step: spread 48 bytes into 16 lanes of 3 bytes, keep those below q with vpcompressd.
            // Stops while 16 more outputs still fit, so the compressing store never runs past the polynomial.
            var spread = Vector512.Create(
                (byte)0, 1, 2, 0, 3, 4, 5, 0, 6, 7, 8, 0, 9, 10, 11, 0,
                12, 13, 14, 0, 15, 16, 17, 0, 18, 19, 20, 0, 21, 22, 23, 0,
                24, 25, 26, 0, 27, 28, 29, 0, 30, 31, 32, 0, 33, 34, 35, 0,
                36, 37, 38, 0, 39, 40, 41, 0, 42, 43, 44, 0, 45, 46, 47, 0);
            var mask = Vector512.Create(0x7FFFFF);
            var q = Vector512.Create(Q);
            ref var input = ref MemoryMarshal.GetReference(buffer);
            ref var output = ref MemoryMarshal.GetReference(a);
            while (filled <= N - 16 && pos + 64 <= buffer.Length)
            {
                var bytes = Vector512.LoadUnsafe(ref input, (nuint)pos);
                var candidates = Avx512Vbmi.PermuteVar64x8(bytes, spread).AsInt32() & mask;
                var accept = Vector512.LessThan(candidates, q);
                unsafe
                {
                    fixed (int* destination = &Unsafe.Add(ref output, filled))
                    {
                        Avx512F.CompressStore(destination, accept, candidates);
                    }
                }

                filled += BitOperations.PopCount(accept.ExtractMostSignificantBits());
                pos += 48;
            }
        }

        for (; pos + 3 <= buffer.Length && filled < N; pos += 3)
        {
            var t = buffer[pos] | (buffer[pos + 1] << 8) | ((buffer[pos + 2] & 0x7F) << 16);
            if (t < Q)
            {
                a[filled++] = t;
            }
        }

        return filled;
    }

    /// <summary>
    /// Fills <paramref name="output"/> with the matrix entries Â[i][j] for the flat indices
    /// <paramref name="first"/> … first + count - 1, where index = i·l + j (ExpandA, FIPS 204 Algorithm 32).
    /// </summary>
    public static void ExpandA(ReadOnlySpan<byte> rho, int l, int first, int count, Span<int> output)
    {
        var done = 0;
        if (KeccakX8.IsSupported)
        {
            for (; done + 5 <= count; done += 8)
            {
                // Five or more entries left: one 8-way permutation is cheaper than a 4-way one plus scalar ones.
                ExpandA8(rho, l, first + done, Math.Min(8, count - done), output.Slice(done * N));
            }
        }

        if (KeccakX4.IsSupported)
        {
            for (; done + 3 <= count; done += 4)
            {
                ExpandA4(rho, l, first + done, Math.Min(4, count - done), output.Slice(done * N));
            }
        }

        Span<byte> seed = stackalloc byte[MlDsaParameters.SeedBytes + 2];
        rho.CopyTo(seed);
        Span<byte> block = stackalloc byte[Shake.Rate128 * UniformBlocks];
        for (; done < count; done++)
        {
            var index = first + done;
            seed[32] = (byte)(index % l);
            seed[33] = (byte)(index / l);
            var shake = Shake.Create128();
            shake.Absorb(seed);
            shake.Squeeze(block);
            var poly = output.Slice(done * N, N);
            var filled = RejectUniform(poly, 0, block);
            while (filled < N)
            {
                shake.Squeeze(block.Slice(0, Shake.Rate128));
                filled = RejectUniform(poly, filled, block.Slice(0, Shake.Rate128));
            }
        }
    }

    private static void ExpandA8(ReadOnlySpan<byte> rho, int l, int first, int lanes, Span<int> output)
    {
        Span<byte> seeds = stackalloc byte[8 * 34];
        for (var n = 0; n < 8; n++)
        {
            var index = first + n;
            rho.CopyTo(seeds.Slice(n * 34));
            seeds[(n * 34) + 32] = (byte)(index % l);
            seeds[(n * 34) + 33] = (byte)(index / l);
        }

        var shake = new KeccakX8(Shake.Rate128);
        shake.AbsorbOnce(seeds, 34);
        Span<byte> blocks = stackalloc byte[8 * Shake.Rate128 * UniformBlocks];
        shake.SqueezeBlocks(blocks, UniformBlocks);
        Span<int> filled = stackalloc int[8];
        var incomplete = false;
        for (var n = 0; n < lanes; n++)
        {
            filled[n] = RejectUniform(output.Slice(n * N, N), 0, blocks.Slice(n * Shake.Rate128 * UniformBlocks, Shake.Rate128 * UniformBlocks));
            incomplete |= filled[n] < N;
        }

        while (incomplete)
        {
            shake.SqueezeBlocks(blocks.Slice(0, 8 * Shake.Rate128), 1);
            incomplete = false;
            for (var n = 0; n < lanes; n++)
            {
                filled[n] = RejectUniform(output.Slice(n * N, N), filled[n], blocks.Slice(n * Shake.Rate128, Shake.Rate128));
                incomplete |= filled[n] < N;
            }
        }
    }

    private static void ExpandA4(ReadOnlySpan<byte> rho, int l, int first, int lanes, Span<int> output)
    {
        Span<byte> seeds = stackalloc byte[4 * 34];
        for (var n = 0; n < 4; n++)
        {
            var index = first + n;
            rho.CopyTo(seeds.Slice(n * 34));
            seeds[(n * 34) + 32] = (byte)(index % l);
            seeds[(n * 34) + 33] = (byte)(index / l);
        }

        var shake = new KeccakX4(Shake.Rate128);
        shake.AbsorbOnce(seeds, 34);
        Span<byte> blocks = stackalloc byte[4 * Shake.Rate128 * UniformBlocks];
        shake.SqueezeBlocks(blocks, UniformBlocks);
        Span<int> filled = stackalloc int[4];
        var incomplete = false;
        for (var n = 0; n < lanes; n++)
        {
            filled[n] = RejectUniform(output.Slice(n * N, N), 0, blocks.Slice(n * Shake.Rate128 * UniformBlocks, Shake.Rate128 * UniformBlocks));
            incomplete |= filled[n] < N;
        }

        while (incomplete)
        {
            shake.SqueezeBlocks(blocks.Slice(0, 4 * Shake.Rate128), 1);
            incomplete = false;
            for (var n = 0; n < lanes; n++)
            {
                filled[n] = RejectUniform(output.Slice(n * N, N), filled[n], blocks.Slice(n * Shake.Rate128, Shake.Rate128));
                incomplete |= filled[n] < N;
            }
        }
    }

    /// <summary>
    /// RejBoundedPoly (FIPS 204 Algorithm 31) with SHAKE256(ρ' ‖ nonce): coefficients in [-η, η] from half-bytes.
    /// The rejections depend only on the SHAKE output, which reveals nothing about the accepted values.
    /// </summary>
    public static void RejectBounded(ReadOnlySpan<byte> rhoPrime, ushort nonce, int eta, Span<int> a)
    {
        Span<byte> seed = stackalloc byte[66];
        rhoPrime.CopyTo(seed);
        seed[64] = (byte)nonce;
        seed[65] = (byte)(nonce >> 8);
        var shake = Shake.Create256();
        shake.Absorb(seed);
        Span<byte> block = stackalloc byte[Shake.Rate256];
        var filled = 0;
        while (filled < N)
        {
            shake.Squeeze(block);
            for (var i = 0; i < block.Length && filled < N; i++)
            {
                filled = AcceptHalfByte(a, filled, block[i] & 0x0F, eta);
                if (filled < N)
                {
                    filled = AcceptHalfByte(a, filled, block[i] >> 4, eta);
                }
            }
        }

        shake.Clear();
        seed.Clear();
        block.Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int AcceptHalfByte(Span<int> a, int filled, int b, int eta)
    {
        // CoeffFromHalfByte (FIPS 204 Algorithm 15). b mod 5 as b - 5·⌊205b/1024⌋, exact for b < 16.
        if (eta == 2)
        {
            if (b < 15)
            {
                a[filled++] = 2 - (b - (((205 * b) >> 10) * 5));
            }
        }
        else if (b < 9)
        {
            a[filled++] = 4 - b;
        }

        return filled;
    }

    /// <summary>
    /// ExpandMask (FIPS 204 Algorithm 34): y[r] = BitUnpack(SHAKE256(ρ'' ‖ κ+r), γ1 - 1, γ1) for r in 0..l-1.
    /// </summary>
    public static void ExpandMask(ReadOnlySpan<byte> rhoSecond, int kappa, MlDsaParameters p, Span<int> y)
    {
        var bytes = p.PolyZBytes;
        var blocks = (bytes + Shake.Rate256 - 1) / Shake.Rate256;
        var done = 0;
        Span<byte> seeds = stackalloc byte[8 * 66];
        Span<byte> buffer = stackalloc byte[8 * Shake.Rate256 * 5];
        if (KeccakX8.IsSupported && p.L >= 5)
        {
            for (var n = 0; n < 8; n++)
            {
                var nonce = kappa + n;
                rhoSecond.CopyTo(seeds.Slice(n * 66));
                seeds[(n * 66) + 64] = (byte)nonce;
                seeds[(n * 66) + 65] = (byte)(nonce >> 8);
            }

            var shake = new KeccakX8(Shake.Rate256);
            shake.AbsorbOnce(seeds, 66);
            shake.SqueezeBlocks(buffer, blocks);
            shake.Clear();
            for (var n = 0; n < p.L; n++)
            {
                Packing.UnpackZ(buffer.Slice(n * Shake.Rate256 * blocks, bytes), p.ZBits, p.Gamma1, y.Slice(n * N, N));
            }

            done = p.L;
        }

        if (KeccakX4.IsSupported)
        {
            for (; p.L - done >= 3; done += 4)
            {
                // Three or four real lanes: a spare lane costs nothing extra in a 4-way permutation.
                for (var n = 0; n < 4; n++)
                {
                    var nonce = kappa + done + n;
                    rhoSecond.CopyTo(seeds.Slice(n * 66));
                    seeds[(n * 66) + 64] = (byte)nonce;
                    seeds[(n * 66) + 65] = (byte)(nonce >> 8);
                }

                var shake = new KeccakX4(Shake.Rate256);
                shake.AbsorbOnce(seeds, 66);
                shake.SqueezeBlocks(buffer, blocks);
                shake.Clear();
                var lanes = Math.Min(4, p.L - done);
                for (var n = 0; n < lanes; n++)
                {
                    Packing.UnpackZ(buffer.Slice(n * Shake.Rate256 * blocks, bytes), p.ZBits, p.Gamma1, y.Slice((done + n) * N, N));
                }
            }
        }

        for (; done < p.L; done++)
        {
            var nonce = kappa + done;
            rhoSecond.CopyTo(seeds);
            seeds[64] = (byte)nonce;
            seeds[65] = (byte)(nonce >> 8);
            var shake = Shake.Create256();
            shake.Absorb(seeds.Slice(0, 66));
            shake.Squeeze(buffer.Slice(0, bytes));
            shake.Clear();
            Packing.UnpackZ(buffer.Slice(0, bytes), p.ZBits, p.Gamma1, y.Slice(done * N, N));
        }

        seeds.Clear();
        buffer.Clear();
    }

    /// <summary>
    /// SampleInBall (FIPS 204 Algorithm 29): a polynomial with τ coefficients ±1, from the commitment hash c̃
    /// (all λ/4 bytes). c̃ is published in the signature, so its data-dependent loop is not a leak.
    /// </summary>
    public static void SampleInBall(ReadOnlySpan<byte> cTilde, int tau, Span<int> c)
    {
        c.Slice(0, N).Clear();
        var shake = Shake.Create256();
        shake.Absorb(cTilde);
        Span<byte> block = stackalloc byte[Shake.Rate256];
        shake.Squeeze(block);
        ulong signs = 0;
        for (var i = 0; i < 8; i++)
        {
            signs |= (ulong)block[i] << (8 * i);
        }

        var pos = 8;
        for (var i = N - tau; i < N; i++)
        {
            int j;
            do
            {
                if (pos == block.Length)
                {
                    shake.Squeeze(block);
                    pos = 0;
                }

                j = block[pos++];
            }
            while (j > i);

            c[i] = c[j];
            c[j] = 1 - (2 * (int)(signs & 1));
            signs >>= 1;
        }
    }
}
