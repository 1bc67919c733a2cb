namespace Overlay.Node.Shards;

/// <summary>The owner's record of a shard could not be read or written; the message names the file.</summary>
public sealed class ShardBookException : Exception
{
    public ShardBookException()
    {
    }

    public ShardBookException(string message)
        : base(message)
    {
    }

    public ShardBookException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
