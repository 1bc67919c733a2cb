using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Overlay.Crypto.Sodium.Interop;

namespace Overlay.Crypto.Sodium;

/// <summary>Argon2id v1.3 password hashing (RFC 9106) through libsodium's <c>crypto_pwhash</c>.</summary>
public static unsafe class Argon2id
{
    /// <summary>Salt size in bytes.</summary>
    public const int SaltSize = Libsodium.crypto_pwhash_argon2id_SALTBYTES;

    /// <summary>Smallest output libsodium produces (crypto_pwhash_BYTES_MIN).</summary>
    public const int MinimumOutputSize = 16;

    /// <summary>
    /// Derives <paramref name="output"/> (at least 16 bytes) from <paramref name="password"/> and
    /// <paramref name="salt"/>. Returns false when libsodium fails, which for valid parameters means it
    /// could not allocate the requested memory.
    /// </summary>
    public static bool TryDeriveBytes(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, Argon2idParameters parameters, Span<byte> output)
    {
        Check(salt, parameters, output.Length);
        fixed (byte* o = output)
        {
            return Derive(password, salt, parameters, o, output.Length);
        }
    }

    /// <summary>As <see cref="TryDeriveBytes"/>, but throws <see cref="InsufficientMemoryException"/> when libsodium fails.</summary>
    public static void DeriveBytes(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, Argon2idParameters parameters, Span<byte> output)
    {
        if (!TryDeriveBytes(password, salt, parameters, output))
        {
            throw new InsufficientMemoryException($"Argon2id could not allocate {parameters.MemoryBytes} bytes.");
        }
    }

    /// <summary>
    /// Derives a key of <paramref name="algorithm"/> straight into secure memory from a passphrase (encoded
    /// as UTF-8, the encoding wiped afterwards). Returns false when libsodium fails (out of memory).
    /// </summary>
    public static bool TryDeriveKey(
        ReadOnlySpan<char> passphrase,
        ReadOnlySpan<byte> salt,
        Argon2idParameters parameters,
        Algorithm algorithm,
        [NotNullWhen(true)] out Key? key)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        if (algorithm.PublicKeySize != 0)
        {
            throw new ArgumentException($"Argon2id derives symmetric keys only, not {algorithm.Name} keys.", nameof(algorithm));
        }

        Check(salt, parameters, algorithm.PrivateKeySize);
        key = null;
        var byteCount = Encoding.UTF8.GetByteCount(passphrase);
        byte[]? rented = null;
        var utf8 = byteCount <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(byteCount));
        utf8 = utf8[..byteCount];
        var handle = SecureMemoryHandle.Allocate(algorithm.StorageSize);
        try
        {
            Encoding.UTF8.GetBytes(passphrase, utf8);
            using (var lease = handle.Acquire())
            {
                if (!Derive(utf8, salt, parameters, lease.Pointer, algorithm.PrivateKeySize))
                {
                    return false;
                }
            }

            key = Key.FromStorage(algorithm, handle);
            return true;
        }
        finally
        {
            SodiumLibrary.Zero(utf8);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }

            if (key is null)
            {
                handle.Dispose();
            }
        }
    }

    private static void Check(ReadOnlySpan<byte> salt, Argon2idParameters parameters, int outputLength)
    {
        if (salt.Length != SaltSize)
        {
            throw new ArgumentException($"An Argon2id salt is {SaltSize} bytes, not {salt.Length}.", nameof(salt));
        }

        if (!parameters.IsValid)
        {
            throw new ArgumentOutOfRangeException(
                nameof(parameters),
                $"Argon2id needs {Argon2idParameters.MinimumOpsLimit}..{Argon2idParameters.MaximumOpsLimit} passes and {Argon2idParameters.MinimumMemoryBytes}..{Argon2idParameters.MaximumMemoryBytes} bytes of memory, not {parameters.OpsLimit} and {parameters.MemoryBytes}.");
        }

        if (outputLength < MinimumOutputSize)
        {
            throw new ArgumentException($"Argon2id output is at least {MinimumOutputSize} bytes, not {outputLength}.", nameof(outputLength));
        }
    }

    private static bool Derive(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, Argon2idParameters parameters, byte* output, int outputLength)
    {
        SodiumLibrary.EnsureInitialized();
        fixed (byte* p = password)
        fixed (byte* s = salt)
        {
            return Libsodium.crypto_pwhash_argon2id(
                output, (ulong)outputLength, p, (ulong)password.Length, s,
                (ulong)parameters.OpsLimit, (nuint)parameters.MemoryBytes, Libsodium.crypto_pwhash_argon2id_ALG_ARGON2ID13) == 0;
        }
    }
}
