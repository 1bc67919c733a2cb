namespace Overlay.Integration.Tests;

/// <summary>
/// Another local user to run commands as, so that file permissions are really checked: root, which
/// runs the tests here, passes every permission check. Needs root and runuser, and the built programs
/// readable by that user.
/// </summary>
internal static class OtherUser
{
    public const string Name = "nobody";

    private static readonly Lazy<string?> Reason = new(Probe);

    /// <summary>Why commands cannot be run as <see cref="Name"/> on this host, or null when they can.</summary>
    public static string? Unavailable => Reason.Value;

    private static string? Probe()
    {
        if (Environment.UserName != "root")
        {
            return $"this test switches to the user '{Name}' with runuser, which needs root; it runs as '{Environment.UserName}'";
        }

        try
        {
            using var node = NodeProcess.StartAs(Name, NodeProcess.NodeDll, null, "help");
            var code = node.WaitForExitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
            return code == 0 ? null : $"'runuser -u {Name} -- dotnet {NodeProcess.NodeDll} help' exited {code} (are the build outputs readable by {Name}?): {node.Output.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"runuser cannot be started: {e.Message}";
        }
    }
}
