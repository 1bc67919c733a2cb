namespace Overlay.Erasure;

/// <summary>
/// A call was given shards or code parameters it cannot work with; <see cref="Error"/> says which check
/// failed. Thrown by the calls whose input is the caller's own (construction, encoding); the calls that
/// take shards from elsewhere (reconstruction, verification) return the same errors instead.
/// </summary>
public sealed class ErasureCodingException : ArgumentException
{
    public ErasureCodingException()
    {
    }

    public ErasureCodingException(string message)
        : base(message)
    {
    }

    public ErasureCodingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ErasureCodingException(ErasureError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>The check that failed.</summary>
    public ErasureError Error { get; }
}
