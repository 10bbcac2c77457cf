using System.Diagnostics;
using StreamFx.ModelPack.Tokenizer;
using StreamFx.ModelPack.Validation;
using StreamFx.Onnx;

namespace StreamFx.ModelPack.Diffusion;

/// <summary>Writes a complete synthetic "stream-diffusion" model folder (docs/models.md).</summary>
public static class StreamDiffusionPack
{
    public static StreamDiffusionManifest Write(string folder, PackOptions options, TextWriter? progress = null)
    {
        options.Validate();
        Directory.CreateDirectory(folder);
        var manifest = StreamDiffusionManifest.FromOptions(options);
        var clock = Stopwatch.StartNew();

        void Step(string what, Action write)
        {
            long before = clock.ElapsedMilliseconds;
            write();
            progress?.WriteLine($"  {what} ({clock.ElapsedMilliseconds - before} ms)");
        }

        Step(manifest.TextEncoder, () => WriteModel(folder, manifest.TextEncoder, TextEncoderModel.Build(options)));
        Step(manifest.UNet, () => WriteModel(folder, manifest.UNet, UNetModel.Build(options)));
        Step(manifest.VaeEncoder, () => WriteModel(folder, manifest.VaeEncoder, TinyAutoencoderModels.BuildEncoder(options)));
        Step(manifest.VaeDecoder, () => WriteModel(folder, manifest.VaeDecoder, TinyAutoencoderModels.BuildDecoder(options)));
        Step(StreamDiffusionManifest.TokenizerFolder + "/", () => TokenizerFiles.Write(Path.Combine(folder, StreamDiffusionManifest.TokenizerFolder), options));

        // The manifest goes last: a folder with a manifest is complete.
        manifest.Write(folder);
        return manifest;
    }

    /// <summary>
    /// Checks a model folder without ONNX Runtime: the manifest parses, every file it names exists and
    /// every ONNX file is a complete protobuf. Errors name the file.
    /// </summary>
    public static StreamDiffusionManifest Check(string folder)
    {
        StreamDiffusionManifest manifest = StreamDiffusionManifest.Load(folder);
        foreach ((string _, string relative) in manifest.ModelFiles)
        {
            OnnxFileCheck.Check(Path.Combine(folder, relative));
        }

        foreach (string name in new[] { TokenizerFiles.VocabFileName, TokenizerFiles.MergesFileName, TokenizerFiles.ConfigFileName })
        {
            string path = Path.Combine(folder, StreamDiffusionManifest.TokenizerFolder, name);
            if (!File.Exists(path))
            {
                throw new ModelFileException(path, "file not found");
            }
        }

        return manifest;
    }

    private static void WriteModel(string folder, string relative, OnnxModel model) =>
        OnnxModelWriter.WriteFile(model, Path.Combine(folder, relative));
}
