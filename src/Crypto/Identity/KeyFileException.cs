namespace Overlay.Crypto;

/// <summary>
/// An identity key file could not be created or loaded. <see cref="Reason"/> says why, and the message
/// is one sentence naming the file.
/// </summary>
public sealed class KeyFileException : Exception
{
    public KeyFileException()
    {
    }

    public KeyFileException(string message)
        : base(message)
    {
    }

    public KeyFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KeyFileException(KeyFileError reason, string path, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
        FilePath = path;
    }

    /// <summary>Why the operation failed.</summary>
    public KeyFileError Reason { get; }

    /// <summary>The key file's path as given by the caller.</summary>
    public string? FilePath { get; }
}
