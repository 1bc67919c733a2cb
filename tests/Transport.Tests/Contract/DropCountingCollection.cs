namespace Overlay.Transport.Tests.Contract;

/// <summary>Tests that read the process-wide drop counter run one class at a time.</summary>
[CollectionDefinition(Name)]
public sealed class DropCountingCollection
{
    public const string Name = "Drop counting";
}
