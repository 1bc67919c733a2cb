using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Overlay.Crypto.MlDsa;

/// <summary>The 25 lanes of one Keccak-f[1600] state.</summary>
[InlineArray(25)]
internal struct KeccakLanes
{
    private ulong _lane;
}

/// <summary>
/// Incremental SHAKE128/SHAKE256 (FIPS 202 §6.2) on our own Keccak-f[1600]: absorb any number of
/// pieces, then squeeze any number of pieces. A mutable struct kept on the stack, so hashing a
/// message prefix, context and message in turn allocates nothing; <see cref="Clear"/> wipes it when
/// it absorbed secrets.
/// </summary>
internal struct Shake
{
    public const int Rate128 = 168;
    public const int Rate256 = 136;

    // SHAKE's domain-separation bits (1111) followed by the first bit of pad10*1.
    private const byte ShakePad = 0x1F;

    private KeccakLanes _state;
    private int _rate;
    private int _offset;
    private bool _squeezing;

    public static Shake Create128() => new() { _rate = Rate128 };

    public static Shake Create256() => new() { _rate = Rate256 };

    /// <summary>Creates a SHA3 hash state (FIPS 202 §6.1) whose capacity is twice the digest size.</summary>
    public static Shake CreateSha3(int digestBytes) => new() { _rate = 200 - (2 * digestBytes) };

    public readonly int Rate => _rate;

    [UnscopedRef]
    private Span<byte> StateBytes => MemoryMarshal.AsBytes((Span<ulong>)_state);

    public void Absorb(ReadOnlySpan<byte> data)
    {
        Span<byte> state = StateBytes;
        while (!data.IsEmpty)
        {
            if ((_offset & 7) == 0 && data.Length >= 8)
            {
                // Lane-aligned: XOR whole 64-bit lanes up to the end of the block or of the data.
                var lanes = Math.Min((_rate - _offset) / 8, data.Length / 8);
                var first = _offset / 8;
                for (var i = 0; i < lanes; i++)
                {
                    _state[first + i] ^= BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(i * 8));
                }

                _offset += lanes * 8;
                data = data.Slice(lanes * 8);
            }
            else
            {
                // Up to the next lane boundary, one byte at a time.
                var take = Math.Min(Math.Min(_rate - _offset, data.Length), 8 - (_offset & 7));
                for (var i = 0; i < take; i++)
                {
                    state[_offset + i] ^= data[i];
                }

                _offset += take;
                data = data.Slice(take);
            }

            if (_offset == _rate)
            {
                KeccakPermutation.Permute(_state);
                _offset = 0;
            }
        }
    }

    public void Absorb(byte value) => Absorb(new ReadOnlySpan<byte>(in value));

    /// <summary>Pads with SHAKE's suffix and switches to squeezing.</summary>
    public void FinishAbsorb() => FinishAbsorb(ShakePad);

    /// <summary>Pads with <paramref name="suffix"/> (0x1F for SHAKE, 0x06 for SHA3) and switches to squeezing.</summary>
    public void FinishAbsorb(byte suffix)
    {
        Span<byte> state = StateBytes;
        state[_offset] ^= suffix;
        state[_rate - 1] ^= 0x80;
        KeccakPermutation.Permute(_state);
        _offset = 0;
        _squeezing = true;
    }

    public void Squeeze(Span<byte> output)
    {
        if (!_squeezing)
        {
            FinishAbsorb();
        }

        Span<byte> state = StateBytes;
        while (!output.IsEmpty)
        {
            if (_offset == _rate)
            {
                KeccakPermutation.Permute(_state);
                _offset = 0;
            }

            var take = Math.Min(_rate - _offset, output.Length);
            state.Slice(_offset, take).CopyTo(output);
            _offset += take;
            output = output.Slice(take);
        }
    }

    public void Clear()
    {
        ((Span<ulong>)_state).Clear();
        _offset = 0;
        _squeezing = false;
    }

    /// <summary>SHAKE256 of <paramref name="input"/> into all of <paramref name="output"/>.</summary>
    public static void Shake256(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var shake = Create256();
        shake.Absorb(input);
        shake.Squeeze(output);
        shake.Clear();
    }
}
