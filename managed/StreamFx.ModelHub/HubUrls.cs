using System.Net;

namespace StreamFx.ModelHub;

/// <summary>The hub's URL shapes (Hugging Face): the tree API for file lists and resolve URLs for file contents.</summary>
public static class HubUrls
{
    public static Uri Tree(string hub, string repo, string revision) =>
        new($"{hub.TrimEnd('/')}/api/models/{EscapeRepo(repo)}/tree/{Uri.EscapeDataString(revision)}?recursive=true");

    public static Uri Resolve(string hub, string repo, string revision, string path) =>
        new($"{hub.TrimEnd('/')}/{EscapeRepo(repo)}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}");

    private static string EscapeRepo(string repo) => string.Join('/', repo.Split('/').Select(Uri.EscapeDataString));

    /// <summary>Only https, except plain http to a loopback address (mirrors and tests on this machine).</summary>
    public static void RequireSecure(Uri uri, string what)
    {
        if (uri.Scheme == Uri.UriSchemeHttps) return;
        if (uri.Scheme == Uri.UriSchemeHttp && IsLoopback(uri)) return;
        throw new ModelHubException(ModelHubFault.InsecureUrl,
            $"{what} {uri}: refused, expected an https URL (plain http only to a loopback address)");
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var ip) && IPAddress.IsLoopback(ip));
}
