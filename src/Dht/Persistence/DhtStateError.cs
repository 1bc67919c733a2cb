namespace Overlay.Dht.Persistence;

/// <summary>Why saved DHT state, or part of it, was not loaded.</summary>
public enum DhtStateError
{
    /// <summary>No error.</summary>
    None,

    /// <summary>The file is not an SQLite database, or SQLite reports it damaged; it is set aside and nothing more is read.</summary>
    FileCorrupt,

    /// <summary>The file is a database of another application or of a schema version this node does not read.</summary>
    UnknownFormat,

    /// <summary>A contact row has a malformed id, address, latency or time; the row is skipped.</summary>
    BadContact,

    /// <summary>A record row does not decode, or its key column disagrees with the record; the row is skipped.</summary>
    BadRecord,

    /// <summary>More rows than the configured limits allow; the rest are skipped.</summary>
    TooManyRows,

    /// <summary>The file could not be read or written (permissions, disk full, I/O error).</summary>
    Io,

    /// <summary>A provider-record row has a malformed key, provider, flag or expiry; the row is skipped.</summary>
    BadProvider,

    /// <summary>
    /// A record or provider row lacks this node's seal or carries a wrong one: another identity wrote it, or
    /// it was edited on disk. A value record is checked again like one from the network; a provider row,
    /// which has no signature to check, is skipped.
    /// </summary>
    BadSeal,

    /// <summary>A bootstrap-pin row has a malformed address, peer id or time; the row is skipped.</summary>
    BadBootstrapPin,
}
