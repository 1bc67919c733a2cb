namespace Overlay.Node.Control;

/// <summary>The outcome of <see cref="ControlAdmission.TryAuthenticate"/>.</summary>
internal enum ControlAdmissionResult
{
    /// <summary>The connection holds an authenticated slot.</summary>
    Admitted,

    /// <summary>The connection was shed for a newer one before it showed the token.</summary>
    Shed,

    /// <summary>Every authenticated slot is taken.</summary>
    Full,
}
