using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Overlay.Crypto;

/// <summary>
/// Incremental BLAKE3 (hash, keyed hash, derive-key). Feeding the input in any split gives the
/// same output as <see cref="Blake3.Hash(ReadOnlySpan{byte}, Span{byte})"/>. Output has any length
/// and may start at any offset of the extendable output. Large updates are hashed many chunks at a
/// time, like the one-shot functions. Not thread-safe.
/// </summary>
public sealed unsafe class Blake3Hasher
{
    private const int MaxDepth = 54; // 2^54 chunks of 1 KiB exceed any ulong-counted input.

    private readonly Blake3Implementation _implementation;
    private Words8 _key;
    private readonly uint _flags;
    private CvStack _cvStack;
    private int _cvStackLength;

    // Current chunk.
    private Words8 _chunkCv;
    private ulong _chunkCounter;
    private Block _block;
    private int _blockLength;
    private int _blocksCompressed;

    private Blake3Hasher(ReadOnlySpan<uint> key, Blake3Flags flags, Blake3Implementation implementation)
    {
        key.CopyTo(_key);
        _flags = (uint)flags;
        _implementation = implementation;
        Reset();
    }

    /// <summary>A hasher for the default (unkeyed) mode.</summary>
    public static Blake3Hasher Create() => Create(Blake3.Best);

    /// <summary>As <see cref="Create()"/>, on a chosen implementation.</summary>
    /// <exception cref="PlatformNotSupportedException">The processor lacks the instructions <paramref name="implementation"/> needs.</exception>
    public static Blake3Hasher Create(Blake3Implementation implementation)
    {
        Blake3.EnsureSupported(implementation);
        return new(Blake3Compression.IV, Blake3Flags.None, implementation);
    }

    /// <summary>A hasher for keyed hashing; <paramref name="key"/> must be exactly 32 bytes.</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not 32 bytes.</exception>
    public static Blake3Hasher CreateKeyed(ReadOnlySpan<byte> key) => CreateKeyed(key, Blake3.Best);

    /// <summary>As <see cref="CreateKeyed(ReadOnlySpan{byte})"/>, on a chosen implementation.</summary>
    public static Blake3Hasher CreateKeyed(ReadOnlySpan<byte> key, Blake3Implementation implementation)
    {
        Blake3.EnsureKey(key);
        Blake3.EnsureSupported(implementation);
        Span<uint> words = stackalloc uint[8];
        LoadWords(key, words);
        return new Blake3Hasher(words, Blake3Flags.KeyedHash, implementation);
    }

    /// <summary>A hasher for key derivation under <paramref name="context"/> (a hard-coded, globally unique string).</summary>
    public static Blake3Hasher CreateDeriveKey(string context) => CreateDeriveKey(context, Blake3.Best);

    /// <summary>As <see cref="CreateDeriveKey(string)"/>, on a chosen implementation.</summary>
    public static Blake3Hasher CreateDeriveKey(string context, Blake3Implementation implementation)
    {
        ArgumentNullException.ThrowIfNull(context);
        Blake3.EnsureSupported(implementation);
        Span<uint> words = stackalloc uint[8];
        Blake3.ContextKey(context, implementation, words);
        return new Blake3Hasher(words, Blake3Flags.DeriveKeyMaterial, implementation);
    }

    /// <summary>The implementation this hasher compresses with.</summary>
    public Blake3Implementation Implementation => _implementation;

    /// <summary>Forgets all input, keeping the mode and key.</summary>
    public void Reset()
    {
        _cvStackLength = 0;
        StartChunk(0);
    }

    /// <summary>Absorbs <paramref name="input"/>.</summary>
    [SkipLocalsInit]
    public void Update(ReadOnlySpan<byte> input)
    {
        var cv = stackalloc uint[8];
        var parent = stackalloc byte[Blake3.BlockSize];

        // Top up a partly filled chunk first. A full chunk is only closed once more input arrives: the
        // last chunk must be finalized as root when it turns out to be the only one.
        if (ChunkLength > 0)
        {
            var take = Math.Min(Blake3.ChunkSize - ChunkLength, input.Length);
            UpdateChunk(input[..take]);
            input = input[take..];
            if (input.IsEmpty)
            {
                return;
            }

            ChunkOutputChainingValue(new Span<uint>(cv, 8));
            PushChainingValue(cv, _chunkCounter);
            StartChunk(_chunkCounter + 1);
        }

        // Whole subtrees straight from the input, many chunks at a time. Each is the largest power of
        // two that fits and is aligned to its own size at the current position, so it is a subtree of
        // the final tree. At least one byte more than a chunk must remain, to keep the last chunk lazy.
        fixed (uint* key = (Span<uint>)_key)
        fixed (byte* start = input)
        {
            var p = start;
            long remaining = input.Length;
            while (remaining > Blake3.ChunkSize)
            {
                var subtreeLength = (long)BitOperations.RoundUpToPowerOf2((ulong)remaining + 1) / 2;
                while (((_chunkCounter * Blake3.ChunkSize) & ((ulong)subtreeLength - 1)) != 0)
                {
                    subtreeLength /= 2;
                }

                var subtreeChunks = (ulong)subtreeLength / Blake3.ChunkSize;
                if (subtreeChunks == 1)
                {
                    Blake3Tree.HashMany(
                        _implementation, p, 1, Blake3.ChunkSize, Blake3.ChunkSize / Blake3.BlockSize, key, _chunkCounter, true,
                        _flags, (uint)Blake3Flags.ChunkStart, (uint)Blake3Flags.ChunkEnd, (byte*)cv);
                    PushChainingValue(cv, _chunkCounter);
                }
                else
                {
                    // Both halves go on the stack unmerged: if this subtree ends the input, their
                    // parent is the root and must be compressed with the ROOT flag in Finalize.
                    Blake3Tree.SubtreeToParentNode(_implementation, p, subtreeLength, key, _chunkCounter, _flags, parent);
                    PushChainingValue((uint*)parent, _chunkCounter);
                    PushChainingValue((uint*)(parent + 32), _chunkCounter + (subtreeChunks / 2));
                }

                _chunkCounter += subtreeChunks;
                p += subtreeLength;
                remaining -= subtreeLength;
            }

            StartChunk(_chunkCounter);
            input = input[(int)(p - start)..];
        }

        if (!input.IsEmpty)
        {
            UpdateChunk(input);

            // The chunk now has data, so no pushed CV can be the root: merge what completes a subtree.
            MergeChainingValues(_chunkCounter);
        }
    }

    /// <summary>Writes the first <c>output.Length</c> bytes of output. The hasher stays usable.</summary>
    public void Finalize(Span<byte> output) => Finalize(0, output);

    /// <summary>Writes output bytes starting at <paramref name="offset"/> of the extendable output. The hasher stays usable.</summary>
    [SkipLocalsInit]
    public void Finalize(ulong offset, Span<byte> output)
    {
        var inputCv = stackalloc uint[8];
        var block = stackalloc byte[Blake3.BlockSize];
        ulong counter;
        uint blockLength;
        uint flags;
        int remaining;

        if (_cvStackLength == 0 || ChunkLength > 0)
        {
            // The root is the current chunk when it is the only one; else the chunk is the rightmost leaf.
            ((ReadOnlySpan<uint>)_chunkCv).CopyTo(new Span<uint>(inputCv, 8));
            var blockSpan = new Span<byte>(block, Blake3.BlockSize);
            ((ReadOnlySpan<byte>)_block).CopyTo(blockSpan);
            blockSpan[_blockLength..].Clear();
            counter = _chunkCounter;
            blockLength = (uint)_blockLength;
            flags = _flags | StartFlag | (uint)Blake3Flags.ChunkEnd;
            remaining = _cvStackLength;
        }
        else
        {
            // Input ended on a subtree boundary: the top two stacked CVs form the last parent.
            StoreWords(StackEntry(_cvStackLength - 2), new Span<byte>(block, 32));
            StoreWords(StackEntry(_cvStackLength - 1), new Span<byte>(block + 32, 32));
            ((ReadOnlySpan<uint>)_key).CopyTo(new Span<uint>(inputCv, 8));
            counter = 0;
            blockLength = Blake3.BlockSize;
            flags = _flags | (uint)Blake3Flags.Parent;
            remaining = _cvStackLength - 2;
        }

        for (var i = remaining - 1; i >= 0; i--)
        {
            Blake3Compression.CompressInPlace(_implementation, inputCv, block, counter, blockLength, flags);
            StoreWords(new ReadOnlySpan<uint>(inputCv, 8), new Span<byte>(block + 32, 32));
            StoreWords(StackEntry(i), new Span<byte>(block, 32));
            ((ReadOnlySpan<uint>)_key).CopyTo(new Span<uint>(inputCv, 8));
            counter = 0;
            blockLength = Blake3.BlockSize;
            flags = _flags | (uint)Blake3Flags.Parent;
        }

        Blake3Tree.RootOutput(_implementation, inputCv, block, blockLength, flags, offset, output);
    }

    private uint StartFlag => _blocksCompressed == 0 ? (uint)Blake3Flags.ChunkStart : 0;

    private int ChunkLength => (_blocksCompressed * Blake3.BlockSize) + _blockLength;

    private void StartChunk(ulong counter)
    {
        ((ReadOnlySpan<uint>)_key).CopyTo(_chunkCv);
        _chunkCounter = counter;
        _blockLength = 0;
        _blocksCompressed = 0;
    }

    private void UpdateChunk(ReadOnlySpan<byte> input)
    {
        fixed (uint* cv = (Span<uint>)_chunkCv)
        fixed (byte* block = (Span<byte>)_block)
        {
            while (!input.IsEmpty)
            {
                if (_blockLength == Blake3.BlockSize)
                {
                    Blake3Compression.CompressInPlace(_implementation, cv, block, _chunkCounter, Blake3.BlockSize, _flags | StartFlag);
                    _blocksCompressed++;
                    _blockLength = 0;
                }

                // Whole blocks that are not the chunk's last byte go straight from the input.
                while (_blockLength == 0 && input.Length > Blake3.BlockSize)
                {
                    fixed (byte* p = input)
                    {
                        Blake3Compression.CompressInPlace(_implementation, cv, p, _chunkCounter, Blake3.BlockSize, _flags | StartFlag);
                    }

                    _blocksCompressed++;
                    input = input[Blake3.BlockSize..];
                }

                var take = Math.Min(Blake3.BlockSize - _blockLength, input.Length);
                input[..take].CopyTo(new Span<byte>(block + _blockLength, take));
                _blockLength += take;
                input = input[take..];
            }
        }
    }

    private void ChunkOutputChainingValue(Span<uint> cv)
    {
        Span<byte> block = stackalloc byte[Blake3.BlockSize];
        ((ReadOnlySpan<byte>)_block).CopyTo(block);
        block[_blockLength..].Clear();
        ((ReadOnlySpan<uint>)_chunkCv).CopyTo(cv);
        fixed (uint* c = cv)
        fixed (byte* b = block)
        {
            Blake3Compression.CompressInPlace(_implementation, c, b, _chunkCounter, (uint)_blockLength, _flags | StartFlag | (uint)Blake3Flags.ChunkEnd);
        }
    }

    // Pushes the CV of the subtree starting at chunk `chunkCounter`, first merging the subtrees that
    // the chunks before it complete. Merging is deferred until then so the last two CVs stay apart
    // when the input ends on a subtree boundary.
    private void PushChainingValue(uint* cv, ulong chunkCounter)
    {
        MergeChainingValues(chunkCounter);
        new ReadOnlySpan<uint>(cv, 8).CopyTo(StackEntry(_cvStackLength));
        _cvStackLength++;
    }

    // After n chunks the stack holds one CV per set bit of n (spec §5.1.2): merge down to that.
    [SkipLocalsInit]
    private void MergeChainingValues(ulong totalChunks)
    {
        var target = BitOperations.PopCount(totalChunks);
        if (_cvStackLength <= target)
        {
            return;
        }

        var block = stackalloc byte[Blake3.BlockSize];
        fixed (uint* key = (Span<uint>)_key)
        {
            while (_cvStackLength > target)
            {
                StoreWords(StackEntry(_cvStackLength - 2), new Span<byte>(block, 32));
                StoreWords(StackEntry(_cvStackLength - 1), new Span<byte>(block + 32, 32));
                var cv = StackEntry(_cvStackLength - 2);
                new ReadOnlySpan<uint>(key, 8).CopyTo(cv);
                fixed (uint* c = cv)
                {
                    Blake3Compression.CompressInPlace(_implementation, c, block, 0, Blake3.BlockSize, _flags | (uint)Blake3Flags.Parent);
                }

                _cvStackLength--;
            }
        }
    }

    private Span<uint> StackEntry(int index) => ((Span<uint>)_cvStack).Slice(index * 8, 8);

    internal static void LoadWords(ReadOnlySpan<byte> bytes, Span<uint> words)
    {
        for (var i = 0; i < words.Length; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(i * 4, 4));
        }
    }

    internal static void StoreWords(ReadOnlySpan<uint> words, Span<byte> bytes)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(words).CopyTo(bytes);
            return;
        }

        for (var i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.Slice(i * 4, 4), words[i]);
        }
    }

    [InlineArray(8)]
    private struct Words8
    {
        private uint _element;
    }

    [InlineArray(Blake3.BlockSize)]
    private struct Block
    {
        private byte _element;
    }

    [InlineArray(MaxDepth * 8)]
    private struct CvStack
    {
        private uint _element;
    }
}
