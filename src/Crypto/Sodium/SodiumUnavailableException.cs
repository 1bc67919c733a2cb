namespace Overlay.Crypto.Sodium;

/// <summary>
/// libsodium could not be loaded, could not be initialised, or is older than the binding needs.
/// The message is one sentence saying what to do.
/// </summary>
public sealed class SodiumUnavailableException : Exception
{
    public SodiumUnavailableException()
        : this(SodiumLibrary.NotLoadableMessage)
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
