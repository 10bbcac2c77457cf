using System.Text.Json;
using StreamFx.Bridge.Tests.Support;
using StreamFx.Host;
using StreamFx.ModelPack.Diffusion;

namespace StreamFx.Bridge.Tests;

/// <summary>Published-layout packs (no manifest.json) written once for the class.</summary>
public sealed class PublishedLayoutPacks : IDisposable
{
    public PublishedLayoutPacks()
    {
        Root = Directory.CreateTempSubdirectory("streamfx-layouts-").FullName;
        foreach (PackLayout layout in new[] { PackLayout.OnnxRuntimeSdTurbo, PackLayout.TensorStack, PackLayout.Taesd, PackLayout.LcmOnnx })
        {
            PublishedLayoutPack.Write(Path.Combine(Root, PublishedLayoutPack.Name(layout)), layout, new PackOptions { Resolution = DiffusionPacks.Resolution });
        }

        CudaOnly = Path.Combine(Root, "cuda-only");
        PublishedLayoutPack.Write(CudaOnly, PackLayout.OnnxRuntimeSdTurbo, new PackOptions { Resolution = DiffusionPacks.Resolution, CudaOnly = true });
    }

    public string Root { get; }

    public string CudaOnly { get; }

    public string Folder(string layout) => Path.Combine(Root, layout);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// The host (HostRunner in process, the real EffectFactory behind a recording loader, a C# shim over a real
/// region and socket) loading published folder layouts as a streamer downloads them: each one runs frames and
/// follows the prompt, SD-Turbo takes TAESD from vae_dir, and a float16 CUDA export on the CPU gets one clear
/// error with no reload loop.
/// </summary>
public sealed class PublishedLayoutHostTests(PublishedLayoutPacks packs) : IClassFixture<PublishedLayoutPacks>
{
    private const uint Size = DiffusionPacks.Resolution;
    private const uint RowBytes = Size * 4;

    private readonly StringWriter _hostLog = new();
    private readonly RecordingLoader _loader = new();

    private async Task<Task<int>> StartAsync(ShimSession shim)
    {
        Task<int> host = Task.Run(() => HostRunner.RunAsync(shim.Region.Name, shim.Control.SocketPath, TextWriter.Synchronized(_hostLog), CancellationToken.None, _loader.Load));
        await shim.AcceptAsync();
        Assert.Equal(MessageType.Hello, (await shim.ReadAsync())?.Type);
        return host;
    }

    private static string Settings(string modelDir, string? vaeDir = null, string prompt = "a photo of a cat", string provider = "cpu")
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("prompt", prompt);
            writer.WriteNumber("strength", 0.6);
            writer.WriteNumber("steps", 1);
            writer.WriteNumber("resolution", DiffusionPacks.Resolution);
            writer.WriteString("execution_provider", provider);
            writer.WriteString("model_dir", modelDir);
            writer.WriteString("vae_dir", vaeDir ?? string.Empty);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static byte[] Picture()
    {
        var pixels = new byte[RowBytes * Size];
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                int p = (y * (int)RowBytes) + (x * 4);
                pixels[p] = (byte)(x * 4);
                pixels[p + 1] = (byte)(y * 4);
                pixels[p + 2] = x >= 8 && x < 24 && y >= 20 && y < 36 ? (byte)240 : (byte)60;
                pixels[p + 3] = 255;
            }
        }

        return pixels;
    }

    private static async Task<byte[]> FrameAsync(ShimSession shim, uint sequence, byte[] input)
    {
        (ControlMessage done, _, byte[] pixels) = await shim.ExchangeFrameAsync(sequence, Size, Size, RowBytes, PixelFormat.Rgba8, sequence, input);
        Assert.Equal(sequence, done.SourceSequence);
        return pixels;
    }

    private static double MeanAbsoluteDifference(byte[] a, byte[] b)
    {
        long sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }

        return sum / (double)a.Length;
    }

    [Theory]
    [InlineData("onnxruntime-sd-turbo", null)]
    [InlineData("tensorstack", null)]
    [InlineData("lcm-onnx", null)]
    [InlineData("onnxruntime-sd-turbo", "taesd")]
    public async Task PublishedLayoutLoadsInTheHostAndFollowsThePrompt(string layout, string? vaeLayout)
    {
        string model = packs.Folder(layout);
        string? vae = vaeLayout is null ? null : packs.Folder(vaeLayout);
        await using ShimSession shim = ShimSession.Create(Size, Size);
        Task<int> host = await StartAsync(shim);
        await shim.SendAsync(ControlMessage.Configure(Settings(model, vae)));
        JsonElement ready = await shim.ReadStatusAsync("ready");
        Assert.Equal(layout, ready.GetProperty("model").GetString());
        // STATUS carries what was derived from the folder.
        string info = ready.GetProperty("model_info").GetString()!;
        Assert.Contains("layout: diffusers ONNX", info);
        Assert.Contains(layout switch
        {
            "onnxruntime-sd-turbo" => "unet: float16, timestep float16, timestep_cond no",
            "tensorstack" => "unet: float32, timestep float32, timestep_cond no",
            _ => "unet: float32, timestep int64, timestep_cond 256, external weights",
        }, info);
        Assert.Contains(vaeLayout is null ? "vae: model's own" : "(no config.json: TAESD)", info);

        byte[] input = Picture();
        byte[] cat = await FrameAsync(shim, 1, input);
        Assert.True(MeanAbsoluteDifference(cat, input) > 2, $"{layout}: the output must be transformed (mean |diff| {MeanAbsoluteDifference(cat, input):0.00})");
        await shim.SendAsync(ControlMessage.Configure(Settings(model, vae, prompt: "a painting of a dog")));
        byte[] dog = await FrameAsync(shim, 2, input);
        Assert.True(MeanAbsoluteDifference(cat, dog) > 0.5, $"{layout}: the prompt change must show (mean |diff| {MeanAbsoluteDifference(cat, dog):0.000})");
        Assert.Equal(1, _loader.Calls);

        // The derived facts are in the log, e.g. "unet: float16, timestep float16, timestep_cond no".
        string log = _hostLog.ToString();
        Assert.Contains("layout: diffusers ONNX (model_index.json", log);
        Assert.Contains("unet: ", log);
        if (vae is not null)
        {
            Assert.Contains($"vae: {vae}", log);
        }

        await shim.SendAsync(ControlMessage.Shutdown());
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
    }

    [Fact]
    public async Task Float16CudaExportOnCpuGetsOneClearErrorAndNoReloadLoop()
    {
        await using ShimSession shim = ShimSession.Create(Size, Size);
        Task<int> host = await StartAsync(shim);
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.CudaOnly, provider: "cpu")));
        JsonElement error = await shim.ReadStatusAsync("error");
        string text = error.GetProperty("error").GetString()!;
        Assert.Contains("this model needs the CUDA provider (float16 CUDA export); the CPU provider cannot run it", text);
        Assert.Contains(Path.Combine(packs.CudaOnly, "unet", "model.onnx"), text);

        // Frames pass through; the same CONFIGURE again (e.g. a prompt edit) does not retry the load.
        byte[] input = Picture();
        Assert.Equal(input, await FrameAsync(shim, 1, input));
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.CudaOnly, prompt: "another prompt", provider: "cpu")));
        Assert.Equal(input, await FrameAsync(shim, 2, input));
        Assert.Equal(1, _loader.Calls);

        await shim.SendAsync(ControlMessage.Shutdown());
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
    }
}
