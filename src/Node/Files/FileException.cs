namespace Overlay.Node.Files;

/// <summary>A store or fetch that failed for a <see cref="FileError"/>, with one sentence saying what happened.</summary>
public sealed class FileException : Exception
{
    public FileException()
    {
    }

    public FileException(string message)
        : base(message)
    {
    }

    public FileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public FileException(FileError error, string message, Exception? innerException = null)
        : base(message, innerException) => Error = error;

    /// <summary>What failed.</summary>
    public FileError Error { get; }

    /// <summary>With <see cref="FileError.BadManifest"/>: why the manifest was refused.</summary>
    public ManifestError ManifestError { get; init; }
}
