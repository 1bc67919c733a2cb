namespace Overlay.Node.Configuration;

/// <summary>The data directory exists but this user cannot read it; the message is one sentence saying so.</summary>
public sealed class DataDirectoryAccessException : Exception
{
    public DataDirectoryAccessException(string path, Exception innerException)
        : base($"The data directory {path} is not readable by this user ({Environment.UserName}); run the command as the user that runs the node, or choose another --data-dir.", innerException)
    {
        Path = path;
    }

    public DataDirectoryAccessException()
    {
    }

    public DataDirectoryAccessException(string message)
        : base(message)
    {
    }

    /// <summary>The data directory.</summary>
    public string Path { get; } = string.Empty;
}
