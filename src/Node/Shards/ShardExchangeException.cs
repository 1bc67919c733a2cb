namespace Overlay.Node.Shards;

/// <summary>A <c>shard/1</c> operation that did not succeed: the holder's refusal, or what the caller found wrong with the answer.</summary>
public sealed class ShardExchangeException : Exception
{
    public ShardExchangeException()
        : this(ShardRefusal.Failed, "The shard operation failed.")
    {
    }

    public ShardExchangeException(string message)
        : this(ShardRefusal.Failed, message)
    {
    }

    public ShardExchangeException(string message, Exception innerException)
        : base(message, innerException)
    {
        Refusal = ShardRefusal.Failed;
    }

    public ShardExchangeException(ShardRefusal refusal, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Refusal = refusal;
    }

    /// <summary>Why the owner refused the holder's receipt; <see cref="ReceiptRejection.None"/> unless the failure is a bad receipt.</summary>
    public ReceiptRejection Rejection { get; init; }

    /// <summary>The typed reason: the holder's refusal code, or (caught by the caller) Mismatch for bytes or answers that do not verify, Size for a truncated answer.</summary>
    public ShardRefusal Refusal { get; }
}
