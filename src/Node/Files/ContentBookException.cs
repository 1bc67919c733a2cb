namespace Overlay.Node.Files;

/// <summary>The content book's files cannot be read or written, or are damaged; the message names the file.</summary>
public sealed class ContentBookException : Exception
{
    public ContentBookException()
    {
    }

    public ContentBookException(string message)
        : base(message)
    {
    }

    public ContentBookException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
