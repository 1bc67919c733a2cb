namespace Overlay.Node.Hosting;

/// <summary>Facts about this run decided before the host starts.</summary>
public sealed record NodeRunInfo(string DataDirectory, string KeyFilePath, IReadOnlyList<string> UnknownKeys);
