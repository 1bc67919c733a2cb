using System.Buffers.Binary;
using System.Numerics;

namespace Overlay.Crypto.MlDsa;

/// <summary>
/// The SHA-2 variants HashML-DSA allows that .NET does not provide: SHA-224 and SHA-512/224, SHA-512/256
/// (FIPS 180-4 §6.3, §6.5–6.7). They are SHA-256 and SHA-512 with their own initial values, truncated.
/// Pre-hashing sees only the message, never a secret, so a plain one-shot implementation suffices.
/// </summary>
internal static class Sha2
{
    /// <summary>SHA-256's round constants: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.</summary>
    private static ReadOnlySpan<uint> K256 =>
    [
        0x428A2F98U, 0x71374491U, 0xB5C0FBCFU, 0xE9B5DBA5U, 0x3956C25BU, 0x59F111F1U, 0x923F82A4U, 0xAB1C5ED5U,
        0xD807AA98U, 0x12835B01U, 0x243185BEU, 0x550C7DC3U, 0x72BE5D74U, 0x80DEB1FEU, 0x9BDC06A7U, 0xC19BF174U,
        0xE49B69C1U, 0xEFBE4786U, 0x0FC19DC6U, 0x240CA1CCU, 0x2DE92C6FU, 0x4A7484AAU, 0x5CB0A9DCU, 0x76F988DAU,
        0x983E5152U, 0xA831C66DU, 0xB00327C8U, 0xBF597FC7U, 0xC6E00BF3U, 0xD5A79147U, 0x06CA6351U, 0x14292967U,
        0x27B70A85U, 0x2E1B2138U, 0x4D2C6DFCU, 0x53380D13U, 0x650A7354U, 0x766A0ABBU, 0x81C2C92EU, 0x92722C85U,
        0xA2BFE8A1U, 0xA81A664BU, 0xC24B8B70U, 0xC76C51A3U, 0xD192E819U, 0xD6990624U, 0xF40E3585U, 0x106AA070U,
        0x19A4C116U, 0x1E376C08U, 0x2748774CU, 0x34B0BCB5U, 0x391C0CB3U, 0x4ED8AA4AU, 0x5B9CCA4FU, 0x682E6FF3U,
        0x748F82EEU, 0x78A5636FU, 0x84C87814U, 0x8CC70208U, 0x90BEFFFAU, 0xA4506CEBU, 0xBEF9A3F7U, 0xC67178F2U,
    ];

    /// <summary>SHA-512's round constants: the first 64 bits of the same cube roots, for the first 80 primes.</summary>
    private static ReadOnlySpan<ulong> K512 =>
    [
        0x428A2F98D728AE22UL, 0x7137449123EF65CDUL, 0xB5C0FBCFEC4D3B2FUL, 0xE9B5DBA58189DBBCUL,
        0x3956C25BF348B538UL, 0x59F111F1B605D019UL, 0x923F82A4AF194F9BUL, 0xAB1C5ED5DA6D8118UL,
        0xD807AA98A3030242UL, 0x12835B0145706FBEUL, 0x243185BE4EE4B28CUL, 0x550C7DC3D5FFB4E2UL,
        0x72BE5D74F27B896FUL, 0x80DEB1FE3B1696B1UL, 0x9BDC06A725C71235UL, 0xC19BF174CF692694UL,
        0xE49B69C19EF14AD2UL, 0xEFBE4786384F25E3UL, 0x0FC19DC68B8CD5B5UL, 0x240CA1CC77AC9C65UL,
        0x2DE92C6F592B0275UL, 0x4A7484AA6EA6E483UL, 0x5CB0A9DCBD41FBD4UL, 0x76F988DA831153B5UL,
        0x983E5152EE66DFABUL, 0xA831C66D2DB43210UL, 0xB00327C898FB213FUL, 0xBF597FC7BEEF0EE4UL,
        0xC6E00BF33DA88FC2UL, 0xD5A79147930AA725UL, 0x06CA6351E003826FUL, 0x142929670A0E6E70UL,
        0x27B70A8546D22FFCUL, 0x2E1B21385C26C926UL, 0x4D2C6DFC5AC42AEDUL, 0x53380D139D95B3DFUL,
        0x650A73548BAF63DEUL, 0x766A0ABB3C77B2A8UL, 0x81C2C92E47EDAEE6UL, 0x92722C851482353BUL,
        0xA2BFE8A14CF10364UL, 0xA81A664BBC423001UL, 0xC24B8B70D0F89791UL, 0xC76C51A30654BE30UL,
        0xD192E819D6EF5218UL, 0xD69906245565A910UL, 0xF40E35855771202AUL, 0x106AA07032BBD1B8UL,
        0x19A4C116B8D2D0C8UL, 0x1E376C085141AB53UL, 0x2748774CDF8EEB99UL, 0x34B0BCB5E19B48A8UL,
        0x391C0CB3C5C95A63UL, 0x4ED8AA4AE3418ACBUL, 0x5B9CCA4F7763E373UL, 0x682E6FF3D6B2B8A3UL,
        0x748F82EE5DEFB2FCUL, 0x78A5636F43172F60UL, 0x84C87814A1F0AB72UL, 0x8CC702081A6439ECUL,
        0x90BEFFFA23631E28UL, 0xA4506CEBDE82BDE9UL, 0xBEF9A3F7B2C67915UL, 0xC67178F2E372532BUL,
        0xCA273ECEEA26619CUL, 0xD186B8C721C0C207UL, 0xEADA7DD6CDE0EB1EUL, 0xF57D4F7FEE6ED178UL,
        0x06F067AA72176FBAUL, 0x0A637DC5A2C898A6UL, 0x113F9804BEF90DAEUL, 0x1B710B35131C471BUL,
        0x28DB77F523047D84UL, 0x32CAAB7B40C72493UL, 0x3C9EBE0A15C9BEBCUL, 0x431D67C49C100D4CUL,
        0x4CC5D4BECB3E42B6UL, 0x597F299CFC657E2AUL, 0x5FCB6FAB3AD6FAECUL, 0x6C44198C4A475817UL,
    ];

    private static ReadOnlySpan<uint> Sha224Initial =>
    [
        0xC1059ED8U, 0x367CD507U, 0x3070DD17U, 0xF70E5939U, 0xFFC00B31U, 0x68581511U, 0x64F98FA7U, 0xBEFA4FA4U,
    ];

    private static ReadOnlySpan<ulong> Sha512T224Initial =>
    [
        0x8C3D37C819544DA2UL, 0x73E1996689DCD4D6UL, 0x1DFAB7AE32FF9C82UL, 0x679DD514582F9FCFUL,
        0x0F6D2B697BD44DA8UL, 0x77E36F7304C48942UL, 0x3F9D85A86A1D36C8UL, 0x1112E6AD91D692A1UL,
    ];

    private static ReadOnlySpan<ulong> Sha512T256Initial =>
    [
        0x22312194FC2BF72CUL, 0x9F555FA3C84C64C2UL, 0x2393B86B6F53B151UL, 0x963877195940EABDUL,
        0x96283EE2A88EFFE3UL, 0xBE5E1E2553863992UL, 0x2B0199FC2C85B8AAUL, 0x0EB72DDC81C52CA2UL,
    ];

    /// <summary>SHA-224 of <paramref name="message"/> into the first 28 bytes of <paramref name="digest"/>.</summary>
    public static int Sha224(ReadOnlySpan<byte> message, Span<byte> digest)
    {
        Span<uint> state = stackalloc uint[8];
        Sha224Initial.CopyTo(state);
        Span<byte> last = stackalloc byte[128];
        var whole = message.Length / 64 * 64;
        for (var i = 0; i < whole; i += 64)
        {
            Compress256(state, message.Slice(i, 64));
        }

        var tail = message.Length - whole;
        last.Clear();
        message.Slice(whole).CopyTo(last);
        last[tail] = 0x80;
        var blocks = tail + 9 <= 64 ? 1 : 2;
        BinaryPrimitives.WriteUInt64BigEndian(last.Slice((blocks * 64) - 8), (ulong)message.Length * 8);
        for (var b = 0; b < blocks; b++)
        {
            Compress256(state, last.Slice(b * 64, 64));
        }

        for (var i = 0; i < 7; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(digest.Slice(i * 4), state[i]);
        }

        return 28;
    }

    /// <summary>SHA-512/t for t = 224 or 256 (<paramref name="digestBytes"/> 28 or 32).</summary>
    public static int Sha512T(int digestBytes, ReadOnlySpan<byte> message, Span<byte> digest)
    {
        Span<ulong> state = stackalloc ulong[8];
        (digestBytes == 28 ? Sha512T224Initial : Sha512T256Initial).CopyTo(state);
        Span<byte> last = stackalloc byte[256];
        var whole = message.Length / 128 * 128;
        for (var i = 0; i < whole; i += 128)
        {
            Compress512(state, message.Slice(i, 128));
        }

        var tail = message.Length - whole;
        last.Clear();
        message.Slice(whole).CopyTo(last);
        last[tail] = 0x80;
        var blocks = tail + 17 <= 128 ? 1 : 2;
        BinaryPrimitives.WriteUInt64BigEndian(last.Slice((blocks * 128) - 8), (ulong)message.Length * 8);
        for (var b = 0; b < blocks; b++)
        {
            Compress512(state, last.Slice(b * 128, 128));
        }

        Span<byte> full = stackalloc byte[64];
        for (var i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(full.Slice(i * 8), state[i]);
        }

        full.Slice(0, digestBytes).CopyTo(digest);
        return digestBytes;
    }

    private static void Compress256(Span<uint> state, ReadOnlySpan<byte> block)
    {
        Span<uint> w = stackalloc uint[64];
        for (var j = 0; j < 16; j++)
        {
            w[j] = BinaryPrimitives.ReadUInt32BigEndian(block.Slice(j * 4));
        }

        for (var j = 16; j < 64; j++)
        {
            var s0 = BitOperations.RotateRight(w[j - 15], 7) ^ BitOperations.RotateRight(w[j - 15], 18) ^ (w[j - 15] >> 3);
            var s1 = BitOperations.RotateRight(w[j - 2], 17) ^ BitOperations.RotateRight(w[j - 2], 19) ^ (w[j - 2] >> 10);
            w[j] = w[j - 16] + s0 + w[j - 7] + s1;
        }

        uint a = state[0], b = state[1], c = state[2], d = state[3], e = state[4], f = state[5], g = state[6], h = state[7];
        for (var j = 0; j < 64; j++)
        {
            var t1 = h + (BitOperations.RotateRight(e, 6) ^ BitOperations.RotateRight(e, 11) ^ BitOperations.RotateRight(e, 25))
                + ((e & f) ^ (~e & g)) + K256[j] + w[j];
            var t2 = (BitOperations.RotateRight(a, 2) ^ BitOperations.RotateRight(a, 13) ^ BitOperations.RotateRight(a, 22))
                + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }

        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
    }

    private static void Compress512(Span<ulong> state, ReadOnlySpan<byte> block)
    {
        Span<ulong> w = stackalloc ulong[80];
        for (var j = 0; j < 16; j++)
        {
            w[j] = BinaryPrimitives.ReadUInt64BigEndian(block.Slice(j * 8));
        }

        for (var j = 16; j < 80; j++)
        {
            var s0 = BitOperations.RotateRight(w[j - 15], 1) ^ BitOperations.RotateRight(w[j - 15], 8) ^ (w[j - 15] >> 7);
            var s1 = BitOperations.RotateRight(w[j - 2], 19) ^ BitOperations.RotateRight(w[j - 2], 61) ^ (w[j - 2] >> 6);
            w[j] = w[j - 16] + s0 + w[j - 7] + s1;
        }

        ulong a = state[0], b = state[1], c = state[2], d = state[3], e = state[4], f = state[5], g = state[6], h = state[7];
        for (var j = 0; j < 80; j++)
        {
            var t1 = h + (BitOperations.RotateRight(e, 14) ^ BitOperations.RotateRight(e, 18) ^ BitOperations.RotateRight(e, 41))
                + ((e & f) ^ (~e & g)) + K512[j] + w[j];
            var t2 = (BitOperations.RotateRight(a, 28) ^ BitOperations.RotateRight(a, 34) ^ BitOperations.RotateRight(a, 39))
                + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }

        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
    }
}
