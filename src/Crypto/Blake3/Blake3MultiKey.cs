using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Overlay.Crypto;

/// <summary>
/// BLAKE3 in keyed mode of one input under many keys at once: the 32-byte keyed hash of
/// <c>prefix || input</c> under each key, as the package would give it key by key. With AVX-512 the keys
/// are the sixteen lanes of one vector, so every block of the input is loaded once and compressed
/// under up to sixteen keys together; the package instead runs sixteen chunks of one key through its
/// vector (transposing each block into lanes) and finishes the chunks short of a multiple of sixteen
/// one at a time. What a shard owner computes when it prepares audit challenges (docs/PROTOCOL.md,
/// "Audits"): sixteen answers of one shard. Without AVX-512 each key is hashed by the package.
/// </summary>
public static class Blake3MultiKey
{
    /// <summary>Length of each key and of each hash, in bytes.</summary>
    public const int KeySize = 32;

    private const int Lanes = 16;
    private const int ChunkBytes = 1024;
    private const int BlockBytes = 64;
    private const int MaxDepth = 54; // a stack of 54 chaining values covers 2^54 chunks, more than any span holds
    private const uint ChunkStart = 1, ChunkEnd = 2, Parent = 4, Root = 8, KeyedHash = 16;

    private static readonly uint[] Iv = [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19];

    // The message word each G takes in each of the seven rounds: round 0 in order, each next round the
    // previous one permuted by BLAKE3's message permutation (2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8).
    private static readonly byte[] Schedule = BuildSchedule();

    /// <summary>Whether this machine runs the sixteen-lane path (AVX-512); otherwise each key is hashed in turn.</summary>
    public static bool IsAccelerated => Avx512F.IsSupported;

    /// <summary>
    /// Writes into <paramref name="hashes"/> (32 bytes per key, in the order of the keys) the keyed hash of
    /// <paramref name="prefix"/> followed by <paramref name="input"/> under each 32-byte key of <paramref name="keys"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The keys are not a whole number of 32-byte keys, or the hashes' length differs from the keys'.</exception>
    public static void KeyedHashes(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> input, Span<byte> hashes) =>
        KeyedHashes(keys, prefix, input, hashes, IsAccelerated);

    /// <summary>As <see cref="KeyedHashes(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/>; <paramref name="vectorised"/> false forces the key-by-key path (tests compare the two).</summary>
    internal static void KeyedHashes(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> input, Span<byte> hashes, bool vectorised)
    {
        if (keys.Length % KeySize != 0)
        {
            throw new ArgumentException($"Keys are {KeySize} bytes each; {keys.Length} bytes is not a whole number of them.", nameof(keys));
        }

        if (hashes.Length != keys.Length)
        {
            throw new ArgumentException($"{keys.Length / KeySize} keys give {keys.Length} bytes of hashes, not {hashes.Length}.", nameof(hashes));
        }

        if (!vectorised || !Avx512F.IsSupported)
        {
            for (var k = 0; k < keys.Length; k += KeySize)
            {
                var hasher = Blake3Hasher.CreateKeyed(keys.Slice(k, KeySize));
                hasher.Update(prefix);
                hasher.Update(input);
                hasher.Finalize(hashes.Slice(k, KeySize));
            }

            return;
        }

        for (var k = 0; k < keys.Length; k += Lanes * KeySize)
        {
            var count = Math.Min(Lanes * KeySize, keys.Length - k);
            HashLanes(keys.Slice(k, count), prefix, input, hashes.Slice(k, count));
        }
    }

    private static void HashLanes(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> input, Span<byte> hashes)
    {
        var lanes = keys.Length / KeySize;
        var key = new Vector512<uint>[8];
        Span<uint> column = stackalloc uint[Lanes];
        for (var w = 0; w < 8; w++)
        {
            column.Clear();
            for (var lane = 0; lane < lanes; lane++)
            {
                column[lane] = BinaryPrimitives.ReadUInt32LittleEndian(keys[((lane * KeySize) + (w * 4))..]);
            }

            key[w] = Vector512.Create<uint>(column);
        }

        var total = (long)prefix.Length + input.Length;
        var chunks = total == 0 ? 1 : (total + ChunkBytes - 1) / ChunkBytes;
        var stack = new Vector512<uint>[MaxDepth * 8];
        var depth = 0;
        var cv = new Vector512<uint>[8];
        var message = new Vector512<uint>[16];
        Span<byte> joined = stackalloc byte[ChunkBytes];
        Span<byte> lastBlock = stackalloc byte[BlockBytes];
        for (var c = 0L; c < chunks; c++)
        {
            var chunk = ChunkAt(c, prefix, input, joined);
            var last = c == chunks - 1;
            var blocks = chunk.Length == 0 ? 1 : (chunk.Length + BlockBytes - 1) / BlockBytes;
            key.CopyTo(cv, 0);
            for (var b = 0; b < blocks; b++)
            {
                var length = Math.Min(BlockBytes, chunk.Length - (b * BlockBytes));
                if (length == BlockBytes)
                {
                    LoadMessage(chunk.Slice(b * BlockBytes, BlockBytes), message);
                }
                else
                {
                    lastBlock.Clear();
                    chunk.Slice(b * BlockBytes, length).CopyTo(lastBlock);
                    LoadMessage(lastBlock, message);
                }

                var flags = KeyedHash | (b == 0 ? ChunkStart : 0) | (b == blocks - 1 ? ChunkEnd : 0) | (chunks == 1 && b == blocks - 1 ? Root : 0);
                Compress(cv, message, (ulong)c, (uint)length, flags);
            }

            if (!last)
            {
                // Merge completed subtrees as the reference implementation does: one parent per trailing zero of the chunk count.
                for (var done = c + 1; (done & 1) == 0; done >>= 1)
                {
                    depth--;
                    ParentInto(cv, stack.AsSpan(depth * 8, 8), key, message, KeyedHash | Parent);
                }

                cv.CopyTo(stack, depth * 8);
                depth++;
            }
        }

        while (depth > 0)
        {
            depth--;
            ParentInto(cv, stack.AsSpan(depth * 8, 8), key, message, KeyedHash | Parent | (depth == 0 ? Root : 0));
        }

        for (var lane = 0; lane < lanes; lane++)
        {
            for (var w = 0; w < 8; w++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(hashes[((lane * KeySize) + (w * 4))..], cv[w].GetElement(lane));
            }
        }
    }

    // One 64-byte block as sixteen message words, each the same in every lane.
    private static void LoadMessage(ReadOnlySpan<byte> block, Vector512<uint>[] message)
    {
        for (var w = 0; w < 16; w++)
        {
            message[w] = Vector512.Create(BinaryPrimitives.ReadUInt32LittleEndian(block[(w * 4)..]));
        }
    }

    // The bytes of chunk c of prefix || input: a slice of the input where the chunk lies wholly in it, else joined in scratch.
    private static ReadOnlySpan<byte> ChunkAt(long c, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> input, Span<byte> scratch)
    {
        var start = c * ChunkBytes;
        var length = (int)Math.Min(ChunkBytes, prefix.Length + (long)input.Length - start);
        if (start >= prefix.Length)
        {
            return input.Slice((int)(start - prefix.Length), length);
        }

        var fromPrefix = Math.Min(length, prefix.Length - (int)start);
        prefix.Slice((int)start, fromPrefix).CopyTo(scratch);
        input[..(length - fromPrefix)].CopyTo(scratch[fromPrefix..]);
        return scratch[..length];
    }

    // cv becomes the parent of (left, cv): message = left || cv, chaining value = the key.
    private static void ParentInto(Vector512<uint>[] cv, ReadOnlySpan<Vector512<uint>> left, Vector512<uint>[] key, Vector512<uint>[] message, uint flags)
    {
        left.CopyTo(message);
        cv.CopyTo(message, 8);
        key.CopyTo(cv, 0);
        Compress(cv, message, 0, BlockBytes, flags);
    }

    // The BLAKE3 compression function in sixteen lanes; cv receives the first half of the output (the chaining value, or the root hash).
    private static void Compress(Vector512<uint>[] cv, Vector512<uint>[] m, ulong counter, uint blockLength, uint flags)
    {
        var v0 = cv[0];
        var v1 = cv[1];
        var v2 = cv[2];
        var v3 = cv[3];
        var v4 = cv[4];
        var v5 = cv[5];
        var v6 = cv[6];
        var v7 = cv[7];
        var v8 = Vector512.Create(Iv[0]);
        var v9 = Vector512.Create(Iv[1]);
        var v10 = Vector512.Create(Iv[2]);
        var v11 = Vector512.Create(Iv[3]);
        var v12 = Vector512.Create((uint)counter);
        var v13 = Vector512.Create((uint)(counter >> 32));
        var v14 = Vector512.Create(blockLength);
        var v15 = Vector512.Create(flags);
        var s = Schedule;
        for (var r = 0; r < 7 * 16; r += 16)
        {
            G(ref v0, ref v4, ref v8, ref v12, m[s[r]], m[s[r + 1]]);
            G(ref v1, ref v5, ref v9, ref v13, m[s[r + 2]], m[s[r + 3]]);
            G(ref v2, ref v6, ref v10, ref v14, m[s[r + 4]], m[s[r + 5]]);
            G(ref v3, ref v7, ref v11, ref v15, m[s[r + 6]], m[s[r + 7]]);
            G(ref v0, ref v5, ref v10, ref v15, m[s[r + 8]], m[s[r + 9]]);
            G(ref v1, ref v6, ref v11, ref v12, m[s[r + 10]], m[s[r + 11]]);
            G(ref v2, ref v7, ref v8, ref v13, m[s[r + 12]], m[s[r + 13]]);
            G(ref v3, ref v4, ref v9, ref v14, m[s[r + 14]], m[s[r + 15]]);
        }

        cv[0] = v0 ^ v8;
        cv[1] = v1 ^ v9;
        cv[2] = v2 ^ v10;
        cv[3] = v3 ^ v11;
        cv[4] = v4 ^ v12;
        cv[5] = v5 ^ v13;
        cv[6] = v6 ^ v14;
        cv[7] = v7 ^ v15;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G(ref Vector512<uint> a, ref Vector512<uint> b, ref Vector512<uint> c, ref Vector512<uint> d, Vector512<uint> x, Vector512<uint> y)
    {
        a += b + x;
        d = Avx512F.RotateRight(d ^ a, 16);
        c += d;
        b = Avx512F.RotateRight(b ^ c, 12);
        a += b + y;
        d = Avx512F.RotateRight(d ^ a, 8);
        c += d;
        b = Avx512F.RotateRight(b ^ c, 7);
    }

    private static byte[] BuildSchedule()
    {
        byte[] permutation = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
        var schedule = new byte[7 * 16];
        for (var i = 0; i < 16; i++)
        {
            schedule[i] = (byte)i;
        }

        for (var r = 1; r < 7; r++)
        {
            for (var i = 0; i < 16; i++)
            {
                schedule[(r * 16) + i] = schedule[((r - 1) * 16) + permutation[i]];
            }
        }

        return schedule;
    }
}
