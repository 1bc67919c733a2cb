namespace Overlay.Storage;

/// <summary>
/// A typed storage failure. <see cref="Exception.Message"/> is one sentence that names the file
/// (or the limit) involved; <see cref="Reason"/> is what callers branch on.
/// </summary>
public sealed class StorageException : Exception
{
    /// <summary>Creates an exception with a reason and a one-sentence message.</summary>
    public StorageException(StorageErrorReason reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Creates an exception with a generic reason (<see cref="StorageErrorReason.IoError"/>).</summary>
    public StorageException()
        : this(StorageErrorReason.IoError, "A storage operation failed.")
    {
    }

    /// <summary>Creates an exception with a generic reason (<see cref="StorageErrorReason.IoError"/>).</summary>
    public StorageException(string message)
        : this(StorageErrorReason.IoError, message)
    {
    }

    /// <summary>Creates an exception with a generic reason (<see cref="StorageErrorReason.IoError"/>).</summary>
    public StorageException(string message, Exception innerException)
        : this(StorageErrorReason.IoError, message, innerException)
    {
    }

    /// <summary>What went wrong, for callers to branch on.</summary>
    public StorageErrorReason Reason { get; }

    /// <summary>The database file involved, when there is one.</summary>
    public string? FilePath { get; init; }
}
