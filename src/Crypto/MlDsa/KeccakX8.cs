using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Overlay.Crypto.MlDsa;

/// <summary>The 25 lanes of eight interleaved Keccak states, one state per 64-bit element.</summary>
[InlineArray(25)]
internal struct KeccakLanesX8
{
    private Vector512<ulong> _lane;
}

/// <summary>
/// Eight SHAKE instances side by side in 512-bit vectors (see <see cref="KeccakX4"/>); with AVX-512's
/// rotate instruction one 8-way permutation costs about as much as one scalar permutation.
/// </summary>
[SkipLocalsInit]
internal struct KeccakX8
{
    private KeccakLanesX8 _state;
    private readonly int _rate;

    public KeccakX8(int rate)
    {
        _rate = rate;
    }

    public static bool IsSupported => SimdControl.Level == SimdLevel.Vector512;

    /// <summary>
    /// Absorbs eight inputs of <paramref name="length"/> bytes each (shorter than the rate), laid out one after
    /// another in <paramref name="inputs"/>, and applies SHAKE's padding.
    /// </summary>
    public void AbsorbOnce(ReadOnlySpan<byte> inputs, int length)
    {
        Span<byte> blocks = stackalloc byte[8 * 200];
        blocks.Clear();
        for (var n = 0; n < 8; n++)
        {
            var block = blocks.Slice(n * 200, 200);
            inputs.Slice(n * length, length).CopyTo(block);
            block[length] ^= 0x1F;
            block[_rate - 1] ^= 0x80;
        }

        for (var i = 0; i < _rate / 8; i++)
        {
            _state[i] = Vector512.Create(
                BinaryPrimitives.ReadUInt64LittleEndian(blocks.Slice(i * 8)),
                BinaryPrimitives.ReadUInt64LittleEndian(blocks.Slice(200 + (i * 8))),
                BinaryPrimitives.ReadUInt64LittleEndian(blocks.Slice(400 + (i * 8))),
                BinaryPrimitives.ReadUInt64LittleEndian(blocks.Slice(600 + (i * 8))),
                BinaryPrimitives.ReadUInt64LittleEndian(blocks.Slice(800 + (i * 8))),
                BinaryPrimitives.ReadUInt64LittleEndian(blocks.Slice(1000 + (i * 8))),
                BinaryPrimitives.ReadUInt64LittleEndian(blocks.Slice(1200 + (i * 8))),
                BinaryPrimitives.ReadUInt64LittleEndian(blocks.Slice(1400 + (i * 8))));
        }

        blocks.Clear();
    }

    /// <summary>
    /// Squeezes <paramref name="blocks"/> whole blocks from each instance. Instance n's output goes to
    /// output[n·blocks·rate …], so each instance's stream is contiguous.
    /// </summary>
    public void SqueezeBlocks(Span<byte> output, int blocks)
    {
        // Store the interleaved lanes once, then copy each instance's lanes out with plain 64-bit moves.
        var stride = blocks * _rate;
        var laneCount = _rate / 8;
        Span<ulong> lanes = stackalloc ulong[25 * 8];
        for (var b = 0; b < blocks; b++)
        {
            KeccakPermutation.Permute8(_state);
            for (var i = 0; i < laneCount; i++)
            {
                _state[i].StoreUnsafe(ref MemoryMarshal.GetReference(lanes), (nuint)(i * 8));
            }

            for (var n = 0; n < 8; n++)
            {
                var destination = MemoryMarshal.Cast<byte, ulong>(output.Slice((n * stride) + (b * _rate), _rate));
                for (var i = 0; i < laneCount; i++)
                {
                    destination[i] = lanes[(i * 8) + n];
                }
            }
        }

        lanes.Clear();
    }

    public void Clear() => ((Span<Vector512<ulong>>)_state).Clear();
}
