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

    /// <summary>What was malformed in a holder's answer the caller could not decode (a probe answer); <see cref="ShardWireError.None"/> otherwise.</summary>
    public ShardWireError WireError { get; init; }

    /// <summary>
    /// Every holder asked and how each did, when a fetch found nobody to give the shard (NotFound from
    /// <see cref="ShardFetcher"/>); empty otherwise.
    /// </summary>
    public IReadOnlyList<HolderAttempt> Attempts { get; init; } = [];

    /// <summary>The typed reason: the holder's refusal code, or (caught by the caller) Mismatch for bytes or answers that do not verify, Size for a truncated answer.</summary>
    public ShardRefusal Refusal { get; }
}
