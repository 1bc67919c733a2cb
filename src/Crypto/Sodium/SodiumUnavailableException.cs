namespace Overlay.Crypto.Sodium;

/// <summary>
/// libsodium could not be loaded, could not be initialised, or is older than the binding needs.
/// The message is one sentence telling the operator to install libsodium23.
/// </summary>
public sealed class SodiumUnavailableException : Exception
{
    public SodiumUnavailableException()
        : this("libsodium is unavailable; install the libsodium23 package (apt-get install libsodium23).")
    {
    }

    public SodiumUnavailableException(string message)
        : base(message)
    {
    }

    public SodiumUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
