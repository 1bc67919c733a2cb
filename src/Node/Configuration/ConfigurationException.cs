namespace Overlay.Node.Configuration;

/// <summary>The configuration cannot be used; <see cref="Exception.Message"/> holds one sentence per problem.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(string message)
        : base(message)
    {
    }

    public ConfigurationException()
    {
    }

    public ConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
