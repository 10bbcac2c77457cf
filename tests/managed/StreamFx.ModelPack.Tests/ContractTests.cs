using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;
using StreamFx.ModelPack.Diffusion;
using StreamFx.Onnx;

namespace StreamFx.ModelPack.Tests;

/// <summary>
/// The generated files against docs/models.md itself: the tensor tables are parsed from the doc, so
/// the doc and the generator cannot drift apart unnoticed.
/// </summary>
[Collection(PackCollection.Name)]
public sealed partial class ContractTests(PackFixture packs)
{
    public static IEnumerable<object[]> Variants => PackFixture.VariantNames;

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_model_matches_the_documented_names_types_and_shapes(string variant)
    {
        PackOptions options = packs.Options(variant);
        StreamDiffusionManifest manifest = StreamDiffusionManifest.Load(packs.Folder(variant));
        Dictionary<string, List<DocTensor>> doc = ReadDocContract();
        Assert.Equal(new[] { "text_encoder", "unet", "vae_decoder", "vae_encoder" }, doc.Keys.Order(StringComparer.Ordinal));

        foreach ((string component, string relative) in manifest.ModelFiles)
        {
            using var session = new InferenceSession(Path.Combine(packs.Folder(variant), relative));
            List<DocTensor> expected = doc[component];
            Assert.Equal(expected.Where(t => t.IsInput).Select(t => t.Name).Order(), session.InputMetadata.Keys.Order());
            Assert.Equal(expected.Where(t => !t.IsInput).Select(t => t.Name).Order(), session.OutputMetadata.Keys.Order());
            foreach (DocTensor t in expected)
            {
                NodeMetadata meta = t.IsInput ? session.InputMetadata[t.Name] : session.OutputMetadata[t.Name];
                string where = $"{variant}/{component}/{t.Name}";
                Assert.True(ElementTypeOf(t.Type, options) == meta.ElementType, $"{where}: type {meta.ElementType}, doc says {t.Type}");
                long[] dims = t.Shape.Select(d => d == "H" ? options.TextHiddenSize : long.TryParse(d, out long v) ? v : -1L).ToArray();
                Assert.True(dims.SequenceEqual(meta.Dimensions.Select(d => (long)d)), $"{where}: shape [{string.Join(",", meta.Dimensions)}], doc says [{string.Join(",", t.Shape)}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_model_runs_at_batch_2_and_gives_finite_outputs_of_the_declared_shape(string variant)
    {
        string folder = packs.Folder(variant);
        StreamDiffusionManifest m = StreamDiffusionManifest.Load(folder);
        int h = m.TextHiddenSize;
        var random = new SeededRandom(99);

        using (var text = new OnnxSessionRunner(Path.Combine(folder, m.TextEncoder)))
        {
            float[] ids = Enumerable.Range(0, 154).Select(i => (float)(i % 77 == 0 ? 49406 : i % 77 < 5 ? 320 + i : 49407)).ToArray();
            var o = text.Run(("input_ids", ids, [2, 77]));
            AssertFinite(o["last_hidden_state"], [2, 77, h]);
            AssertFinite(o["pooler_output"], [2, h]);
        }

        using (var unet = new OnnxSessionRunner(Path.Combine(folder, m.UNet)))
        {
            var o = unet.Run(
                ("sample", random.Gaussian(2 * 4 * 8 * 12, 1), [2, 4, 8, 12]),
                ("timestep", [999, 0], [2]),
                ("encoder_hidden_states", random.Gaussian(2 * 77 * h, 1), [2, 77, h]));
            AssertFinite(o["out_sample"], [2, 4, 8, 12]);
        }

        using (var encoder = new OnnxSessionRunner(Path.Combine(folder, m.VaeEncoder)))
        {
            var o = encoder.Run(("sample", random.Gaussian(2 * 3 * 64 * 96, 0.5), [2, 3, 64, 96]));
            AssertFinite(o["latent_sample"], [2, 4, 8, 12]);
        }

        using (var decoder = new OnnxSessionRunner(Path.Combine(folder, m.VaeDecoder)))
        {
            var o = decoder.Run(("latent_sample", random.Gaussian(2 * 4 * 8 * 12, 1), [2, 4, 8, 12]));
            AssertFinite(o["sample"], [2, 3, 64, 96]);
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Manifest_records_the_options_it_was_generated_with(string variant)
    {
        PackOptions o = packs.Options(variant);
        StreamDiffusionManifest m = StreamDiffusionManifest.Load(packs.Folder(variant));
        Assert.Equal(o.FamilyName, m.Family);
        Assert.Equal(o.Resolution, m.Resolution);
        Assert.Equal(OnnxElementTypeInfo.Name(o.TensorType), m.TensorDtype);
        Assert.Equal(OnnxElementTypeInfo.Name(o.TimestepType), m.TimestepDtype);
        Assert.Equal(OnnxElementTypeInfo.Name(o.InputIdsType), m.InputIdsDtype);
        Assert.Equal(o.ImageRange, m.ImageRange);
        Assert.Equal(o.Family == ModelFamily.SdTurbo ? 1024 : 768, m.TextHiddenSize);
        Assert.Equal(o.Family == ModelFamily.SdTurbo ? 0 : 49407, m.PadTokenId);
        Assert.Equal(1.0, m.LatentScale);
        Assert.True(m.Synthetic);
        Assert.Equal((0.00085, 0.012, 1000, "scaled_linear"), (m.BetaStart, m.BetaEnd, m.TrainSteps, m.ScheduleType));
        StreamDiffusionPack.Check(packs.Folder(variant));
    }

    private static void AssertFinite((float[] Data, int[] Shape) output, int[] shape)
    {
        Assert.Equal(shape, output.Shape);
        Assert.All(output.Data, v => Assert.True(float.IsFinite(v)));
    }

    private static Type ElementTypeOf(string docType, PackOptions options)
    {
        OnnxElementType t = docType switch
        {
            "F" => options.TensorType,
            _ when docType.Contains("input_ids_dtype", StringComparison.Ordinal) => options.InputIdsType,
            _ when docType.Contains("timestep_dtype", StringComparison.Ordinal) => options.TimestepType,
            _ => throw new InvalidDataException($"docs/models.md: unknown type column '{docType}'"),
        };
        return t switch
        {
            OnnxElementType.Float => typeof(float),
            OnnxElementType.Float16 => typeof(Float16),
            OnnxElementType.Int64 => typeof(long),
            OnnxElementType.Int32 => typeof(int),
            _ => throw new InvalidDataException(t.ToString()),
        };
    }

    private sealed record DocTensor(bool IsInput, string Name, string Type, string[] Shape);

    /// <summary>Reads the "ONNX contracts" tables of docs/models.md: **component/model.onnx** then | in/out | `name` | type | `[shape]` |.</summary>
    private static Dictionary<string, List<DocTensor>> ReadDocContract()
    {
        string path = RepoFile("docs/models.md");
        var result = new Dictionary<string, List<DocTensor>>();
        List<DocTensor>? current = null;
        foreach (string line in File.ReadLines(path))
        {
            Match header = ComponentHeader().Match(line);
            if (header.Success)
            {
                current = [];
                result[header.Groups[1].Value] = current;
                continue;
            }

            Match row = TensorRow().Match(line);
            if (current is not null && row.Success)
            {
                string[] shape = row.Groups[4].Value.Split(',', StringSplitOptions.TrimEntries);
                current.Add(new DocTensor(row.Groups[1].Value == "in", row.Groups[2].Value, row.Groups[3].Value.Trim(), shape));
            }
            else if (line.StartsWith('#'))
            {
                current = null;
            }
        }

        return result;
    }

    public static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "StreamFx.Obs.sln")))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"^\*\*(\w+)/model\.onnx\*\*")]
    private static partial Regex ComponentHeader();

    [GeneratedRegex(@"^\|\s*(in|out)\s*\|\s*`(\w+)`\s*\|([^|]+)\|\s*`\[([^\]]+)\]`")]
    private static partial Regex TensorRow();
}
