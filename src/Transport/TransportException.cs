namespace Overlay.Transport;

/// <summary>A transport failure with a typed <see cref="Reason"/>; the message is one sentence.</summary>
public sealed class TransportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TransportException(TransportError reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Creates an exception with reason <see cref="TransportError.Closed"/>.</summary>
    public TransportException()
        : this(TransportError.Closed, "The connection is closed.")
    {
    }

    /// <summary>Creates an exception with reason <see cref="TransportError.Closed"/>.</summary>
    public TransportException(string message)
        : this(TransportError.Closed, message)
    {
    }

    /// <summary>Creates an exception with reason <see cref="TransportError.Closed"/>.</summary>
    public TransportException(string message, Exception innerException)
        : this(TransportError.Closed, message, innerException)
    {
    }

    /// <summary>Why the operation failed.</summary>
    public TransportError Reason { get; }
}
