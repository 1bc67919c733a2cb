namespace Overlay.Dht.Records;

/// <summary>Kind byte of an encoded record.</summary>
public enum RecordKind : byte
{
    /// <summary>A signed key → value record (<see cref="DhtRecord"/>).</summary>
    Value = 1,

    /// <summary>A provider record (<see cref="ProviderRecord"/>).</summary>
    Provider = 2,
}
