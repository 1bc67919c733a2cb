namespace Overlay.Transport.InMemory;

/// <summary>Every link has the same profile.</summary>
public sealed class UniformLatencyModel : ILatencyModel
{
    private readonly LinkProfile _profile;

    /// <summary>Creates the model.</summary>
    public UniformLatencyModel(LinkProfile profile)
    {
        _profile = profile;
    }

    /// <inheritdoc/>
    public LinkProfile GetLink(int from, int to) => _profile;
}
