namespace Overlay.Dht.Persistence;

/// <summary>Saving DHT state failed; <see cref="Reason"/> says why. None of the changes of the failed transaction were saved.</summary>
public sealed class DhtStateException : Exception
{
    public DhtStateException(DhtStateError reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    public DhtStateException()
    {
    }

    public DhtStateException(string message)
        : base(message)
    {
    }

    public DhtStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Why it failed.</summary>
    public DhtStateError Reason { get; }
}
