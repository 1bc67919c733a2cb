namespace Overlay.Node.Control;

/// <summary>The control API could not start (its port is taken); the message is one sentence for the operator.</summary>
public sealed class ControlStartException : Exception
{
    public ControlStartException()
    {
    }

    public ControlStartException(string message)
        : base(message)
    {
    }

    public ControlStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
