using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Overlay.Crypto;

/// <summary>
/// Incremental BLAKE3 (hash, keyed hash, derive-key). Feeding the input in any split gives the
/// same output as <see cref="Blake3.Hash(ReadOnlySpan{byte}, Span{byte})"/>. Output has any length
/// and may start at any offset of the extendable output.
/// </summary>
public sealed class Blake3Hasher
{
    private const int MaxDepth = 54; // 2^54 chunks of 1 KiB exceed any ulong-counted input.

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

    private Blake3Hasher(ReadOnlySpan<uint> key, Blake3Flags flags)
    {
        key.CopyTo(_key);
        _flags = (uint)flags;
        Reset();
    }

    /// <summary>A hasher for the default (unkeyed) mode.</summary>
    public static Blake3Hasher Create() => new(Blake3Compression.IV, Blake3Flags.None);

    /// <summary>A hasher for keyed hashing; <paramref name="key"/> must be exactly 32 bytes.</summary>
    public static Blake3Hasher CreateKeyed(ReadOnlySpan<byte> key)
    {
        if (key.Length != Blake3.KeySize)
        {
            throw new ArgumentException($"A BLAKE3 key is {Blake3.KeySize} bytes, not {key.Length}.", nameof(key));
        }

        Span<uint> words = stackalloc uint[8];
        LoadWords(key, words);
        return new Blake3Hasher(words, Blake3Flags.KeyedHash);
    }

    /// <summary>A hasher for key derivation under <paramref name="context"/> (a hard-coded, globally unique string).</summary>
    public static Blake3Hasher CreateDeriveKey(string context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var contextHasher = new Blake3Hasher(Blake3Compression.IV, Blake3Flags.DeriveKeyContext);
        Span<byte> contextBytes = context.Length <= 256 ? stackalloc byte[context.Length * 3] : new byte[context.Length * 3];
        var written = System.Text.Encoding.UTF8.GetBytes(context, contextBytes);
        contextHasher.Update(contextBytes[..written]);
        Span<byte> contextKey = stackalloc byte[Blake3.KeySize];
        contextHasher.Finalize(contextKey);
        Span<uint> words = stackalloc uint[8];
        LoadWords(contextKey, words);
        return new Blake3Hasher(words, Blake3Flags.DeriveKeyMaterial);
    }

    /// <summary>Forgets all input, keeping the mode and key.</summary>
    public void Reset()
    {
        _cvStackLength = 0;
        StartChunk(0);
    }

    /// <summary>Absorbs <paramref name="input"/>.</summary>
    public void Update(ReadOnlySpan<byte> input)
    {
        Span<uint> cv = stackalloc uint[8];
        while (!input.IsEmpty)
        {
            // A full chunk is only closed once more input arrives: the last chunk must be
            // finalized as root when it turns out to be the only one.
            if (ChunkLength == Blake3.ChunkSize)
            {
                ChunkOutputChainingValue(cv);
                var totalChunks = _chunkCounter + 1;
                AddChunkChainingValue(cv, totalChunks);
                StartChunk(totalChunks);
            }

            var take = Math.Min(Blake3.ChunkSize - ChunkLength, input.Length);
            UpdateChunk(input[..take]);
            input = input[take..];
        }
    }

    /// <summary>Writes the first <c>output.Length</c> bytes of output. The hasher stays usable.</summary>
    public void Finalize(Span<byte> output) => Finalize(0, output);

    /// <summary>Writes output bytes starting at <paramref name="offset"/> of the extendable output.</summary>
    public void Finalize(ulong offset, Span<byte> output)
    {
        Span<uint> inputCv = stackalloc uint[8];
        Span<byte> block = stackalloc byte[Blake3.BlockSize];
        ulong counter;
        uint blockLength;
        uint flags;

        // The root is the current chunk when it is the only one, else the top of the parent tree.
        ((ReadOnlySpan<uint>)_chunkCv).CopyTo(inputCv);
        ((ReadOnlySpan<byte>)_block).CopyTo(block);
        block[_blockLength..].Clear();
        counter = _chunkCounter;
        blockLength = (uint)_blockLength;
        flags = _flags | StartFlag | (uint)Blake3Flags.ChunkEnd;

        Span<uint> cv = stackalloc uint[8];
        for (var i = _cvStackLength - 1; i >= 0; i--)
        {
            Blake3Compression.Compress(inputCv, block, counter, blockLength, flags, cv);
            StoreWords(StackEntry(i), block[..32]);
            StoreWords(cv, block[32..]);
            ((ReadOnlySpan<uint>)_key).CopyTo(inputCv);
            counter = 0;
            blockLength = Blake3.BlockSize;
            flags = _flags | (uint)Blake3Flags.Parent;
        }

        RootOutput(inputCv, block, blockLength, flags, offset, output);
    }

    internal static void RootOutput(ReadOnlySpan<uint> inputCv, ReadOnlySpan<byte> block, uint blockLength, uint flags, ulong offset, Span<byte> output)
    {
        Span<uint> words = stackalloc uint[16];
        Span<byte> bytes = stackalloc byte[Blake3.BlockSize];
        var blockCounter = offset / Blake3.BlockSize;
        var skip = (int)(offset % Blake3.BlockSize);
        while (!output.IsEmpty)
        {
            Blake3Compression.Compress(inputCv, block, blockCounter, blockLength, flags | (uint)Blake3Flags.Root, words);
            StoreWords(words, bytes);
            var take = Math.Min(Blake3.BlockSize - skip, output.Length);
            bytes.Slice(skip, take).CopyTo(output);
            output = output[take..];
            skip = 0;
            blockCounter++;
        }
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
        Span<uint> words = stackalloc uint[8];
        while (!input.IsEmpty)
        {
            if (_blockLength == Blake3.BlockSize)
            {
                Blake3Compression.Compress(_chunkCv, _block, _chunkCounter, Blake3.BlockSize, _flags | StartFlag, words);
                words.CopyTo(_chunkCv);
                _blocksCompressed++;
                _blockLength = 0;
            }

            var take = Math.Min(Blake3.BlockSize - _blockLength, input.Length);
            input[..take].CopyTo(((Span<byte>)_block)[_blockLength..]);
            _blockLength += take;
            input = input[take..];
        }
    }

    private void ChunkOutputChainingValue(Span<uint> cv)
    {
        Span<byte> block = stackalloc byte[Blake3.BlockSize];
        ((ReadOnlySpan<byte>)_block).CopyTo(block);
        block[_blockLength..].Clear();
        Blake3Compression.Compress(_chunkCv, block, _chunkCounter, (uint)_blockLength, _flags | StartFlag | (uint)Blake3Flags.ChunkEnd, cv);
    }

    // Merges completed subtrees: after chunk n (1-based) there are as many stacked CVs as set bits in n.
    private void AddChunkChainingValue(Span<uint> cv, ulong totalChunks)
    {
        Span<byte> block = stackalloc byte[Blake3.BlockSize];
        while ((totalChunks & 1) == 0)
        {
            _cvStackLength--;
            StoreWords(StackEntry(_cvStackLength), block[..32]);
            StoreWords(cv, block[32..]);
            Blake3Compression.Compress(_key, block, 0, Blake3.BlockSize, _flags | (uint)Blake3Flags.Parent, cv);
            totalChunks >>= 1;
        }

        cv.CopyTo(StackEntry(_cvStackLength));
        _cvStackLength++;
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
