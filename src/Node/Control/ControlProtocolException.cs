namespace Overlay.Node.Control;

/// <summary>A control frame was malformed or too large; the connection is answered with <see cref="Error"/> and closed.</summary>
public sealed class ControlProtocolException : Exception
{
    public ControlProtocolException(ControlError error, string message)
        : base(message)
    {
        Error = error;
    }

    public ControlProtocolException()
    {
    }

    public ControlProtocolException(string message)
        : base(message)
    {
    }

    public ControlProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ControlError Error { get; }
}
