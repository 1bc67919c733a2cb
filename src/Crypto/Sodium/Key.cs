namespace Overlay.Crypto.Sodium;

/// <summary>
/// A secret key of one <see cref="Sodium.Algorithm"/>, held in locked unmanaged memory that is zeroed on
/// dispose or finalisation. The secret leaves that memory only through <see cref="ExportPrivateKey"/>.
/// </summary>
public sealed class Key : IDisposable
{
    private readonly SecureMemoryHandle _handle;

    private Key(Algorithm algorithm, SecureMemoryHandle handle, PublicKey? publicKey)
    {
        Algorithm = algorithm;
        _handle = handle;
        PublicKey = publicKey;
    }

    /// <summary>The algorithm this key belongs to.</summary>
    public Algorithm Algorithm { get; }

    /// <summary>The matching public key, or null for a symmetric key.</summary>
    public PublicKey? PublicKey { get; }

    /// <summary>True once the key has been disposed and its memory wiped.</summary>
    public bool IsDisposed => _handle.IsClosed;

    internal SecureMemoryHandle Handle => _handle;

    /// <summary>A new key drawn from libsodium's CSPRNG.</summary>
    public static Key Create(Algorithm algorithm)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        Span<byte> privateKey = stackalloc byte[algorithm.PrivateKeySize];
        try
        {
            SodiumLibrary.RandomBytes(privateKey);
            return Import(algorithm, privateKey);
        }
        finally
        {
            SodiumLibrary.Zero(privateKey);
        }
    }

    /// <summary>
    /// A key from its private key bytes (<see cref="Algorithm.PrivateKeySize"/> bytes: the Ed25519 seed,
    /// the X25519 scalar or the AEAD key). The caller remains responsible for wiping its copy.
    /// </summary>
    public static Key Import(Algorithm algorithm, ReadOnlySpan<byte> privateKey)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        if (privateKey.Length != algorithm.PrivateKeySize)
        {
            throw new ArgumentException(
                $"A {algorithm.Name} private key is {algorithm.PrivateKeySize} bytes, not {privateKey.Length}.", nameof(privateKey));
        }

        var handle = SecureMemoryHandle.Allocate(algorithm.StorageSize);
        try
        {
            PublicKey? publicKey = null;
            if (algorithm.PublicKeySize > 0)
            {
                var publicBytes = new byte[algorithm.PublicKeySize];
                algorithm.InitializeKey(privateKey, handle.DangerousGetSpan(), publicBytes);
                publicKey = new PublicKey(algorithm, publicBytes);
            }
            else
            {
                algorithm.InitializeKey(privateKey, handle.DangerousGetSpan(), default);
            }

            return new Key(algorithm, handle, publicKey);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Wraps freshly filled storage, e.g. a key derived straight into secure memory.</summary>
    internal static Key FromStorage(Algorithm algorithm, SecureMemoryHandle handle) => new(algorithm, handle, null);

    /// <summary>
    /// Copies the private key (<see cref="Algorithm.PrivateKeySize"/> bytes) into <paramref name="destination"/>
    /// and returns the number of bytes written. Only for persisting a key; wipe the copy after use.
    /// </summary>
    public int ExportPrivateKey(Span<byte> destination)
    {
        var size = Algorithm.PrivateKeySize;
        if (destination.Length < size)
        {
            throw new ArgumentException($"A {Algorithm.Name} private key needs {size} bytes of space.", nameof(destination));
        }

        using var lease = _handle.Acquire();
        lease.Span[..size].CopyTo(destination);
        return size;
    }

    /// <summary>Wipes and frees the secret. Later use throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => _handle.Dispose();

    internal void EnsureAlgorithm(Algorithm expected, string parameterName)
    {
        if (!ReferenceEquals(Algorithm, expected))
        {
            throw new ArgumentException($"This operation needs a {expected.Name} key, not a {Algorithm.Name} key.", parameterName);
        }
    }
}
