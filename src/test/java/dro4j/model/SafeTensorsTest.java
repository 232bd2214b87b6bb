package dro4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dro4j.BadInputException;
import dro4j.Fixtures;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {

  @TempDir Path dir;

  // ---- fixtures ----------------------------------------------------------------------------

  @Test
  void readsStories260KNamesShapesAndF32Values() throws IOException {
    Path file = Fixtures.fixture("stories260K", "model.safetensors");
    try (SafeTensors st = SafeTensors.open(file.getParent())) {
      // 9 tensors per layer, 5 layers, plus embeddings and final norm; no lm_head (tied).
      assertThat(st.names()).hasSize(47).contains("model.norm.weight").doesNotContain("lm_head.weight");
      assertThat(List.copyOf(st.names())).isSorted();
      assertThat(st.info("model.embed_tokens.weight").shape()).containsExactly(512, 64);
      assertThat(st.info("model.layers.0.self_attn.q_proj.weight").shape()).containsExactly(64, 64);
      assertThat(st.info("model.layers.0.self_attn.k_proj.weight").shape()).containsExactly(32, 64);
      assertThat(st.info("model.layers.4.mlp.down_proj.weight").shape()).containsExactly(64, 172);
      assertThat(st.info("model.layers.4.mlp.up_proj.weight").shape()).containsExactly(172, 64);
      assertThat(st.metadata()).containsEntry("format", "pt");

      // model.norm.weight: data_offsets [1039872, 1040128] after a 4856-byte header (from the file).
      SafeTensors.TensorInfo norm = st.info("model.norm.weight");
      long offset = 8 + 4856 + 1039872;
      assertEquals("F32", norm.dtype());
      assertEquals(offset, norm.offset());
      assertEquals(256, norm.byteLength());
      assertEquals(file, norm.file());
      byte[] raw = rawBytes(file, offset, 256);
      float[] values = st.floats("model.norm.weight");
      assertEquals(64, values.length);
      for (int i = 0; i < 64; i++) {
        int bits = (raw[4 * i] & 0xff) | (raw[4 * i + 1] & 0xff) << 8
            | (raw[4 * i + 2] & 0xff) << 16 | (raw[4 * i + 3] & 0xff) << 24;
        assertEquals(Float.intBitsToFloat(bits), values[i], 0f);
      }
      assertThat(st.floats("model.embed_tokens.weight")).hasSize(512 * 64);
    }
  }

  @Test
  void readsTinyQwen2Bf16AsWidenedBitsWithShapesFromConfig() throws IOException {
    Path modelDir = Fixtures.fixture("tiny-qwen2");
    ModelConfig c = ModelConfig.loadFromDir(modelDir);
    try (SafeTensors st = SafeTensors.open(modelDir)) {
      int h = c.hiddenSize();
      int q = c.numHeads() * c.headDim();
      int kv = c.numKvHeads() * c.headDim();
      int ff = c.intermediateSize();
      assertThat(st.names()).hasSize(2 + 2 * 12 + 1);
      assertThat(st.info("lm_head.weight").shape()).containsExactly(c.vocabSize(), h);
      assertThat(st.info("model.embed_tokens.weight").shape()).containsExactly(c.vocabSize(), h);
      assertThat(st.info("model.norm.weight").shape()).containsExactly(h);
      for (int l = 0; l < c.numLayers(); l++) {
        String p = "model.layers." + l + ".";
        assertThat(st.info(p + "self_attn.q_proj.weight").shape()).containsExactly(q, h);
        assertThat(st.info(p + "self_attn.q_proj.bias").shape()).containsExactly(q);
        assertThat(st.info(p + "self_attn.k_proj.weight").shape()).containsExactly(kv, h);
        assertThat(st.info(p + "self_attn.k_proj.bias").shape()).containsExactly(kv);
        assertThat(st.info(p + "self_attn.v_proj.weight").shape()).containsExactly(kv, h);
        assertThat(st.info(p + "self_attn.v_proj.bias").shape()).containsExactly(kv);
        assertThat(st.info(p + "self_attn.o_proj.weight").shape()).containsExactly(h, q);
        assertThat(st.contains(p + "self_attn.o_proj.bias")).isFalse();
        assertThat(st.info(p + "mlp.gate_proj.weight").shape()).containsExactly(ff, h);
        assertThat(st.info(p + "mlp.up_proj.weight").shape()).containsExactly(ff, h);
        assertThat(st.info(p + "mlp.down_proj.weight").shape()).containsExactly(h, ff);
        assertThat(st.info(p + "input_layernorm.weight").dtype()).isEqualTo("BF16");
      }

      // lm_head.weight: data_offsets [0, 25600] after a 2704-byte header (from the file).
      Path file = modelDir.resolve("model.safetensors");
      byte[] raw = rawBytes(file, 8 + 2704, 25600);
      float[] values = st.floats("lm_head.weight");
      assertEquals(400 * 32, values.length);
      int nonZero = 0;
      for (int i = 0; i < values.length; i++) {
        int bits = (raw[2 * i] & 0xff) | (raw[2 * i + 1] & 0xff) << 8;
        float expected = Float.intBitsToFloat(bits << 16);
        assertEquals(expected, values[i], 0f, "element " + i);
        nonZero += expected != 0 ? 1 : 0;
      }
      assertThat(nonZero).isGreaterThan(values.length / 2); // really random weights, not zeros
    }
  }

  // ---- conversions -------------------------------------------------------------------------

  @Test
  void halfToFloatMatchesTheIeeeDefinitionForAllBitPatterns() {
    for (int h = 0; h < 1 << 16; h++) {
      int sign = h >>> 15;
      int exponent = (h >>> 10) & 0x1f;
      int mantissa = h & 0x3ff;
      float actual = SafeTensors.halfToFloat((short) h);
      if (exponent == 0x1f) {
        if (mantissa == 0) {
          assertEquals(sign == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY, actual);
        } else {
          assertThat(Float.isNaN(actual)).as("NaN for %04x", h).isTrue();
          // payload and sign kept
          assertEquals(mantissa, (Float.floatToRawIntBits(actual) >>> 13) & 0x3ff);
          assertEquals(sign, Float.floatToRawIntBits(actual) >>> 31);
        }
        continue;
      }
      double magnitude = exponent == 0
          ? Math.scalb((double) mantissa, -24) // subnormal: 2^-14 * m / 1024
          : Math.scalb(1.0 + mantissa / 1024.0, exponent - 15);
      double expected = sign == 1 ? -magnitude : magnitude;
      String what = String.format("half %04x", h);
      assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual), what);
    }
    assertEquals(1.0f, SafeTensors.halfToFloat((short) 0x3c00));
    assertEquals(-2.0f, SafeTensors.halfToFloat((short) 0xc000));
    assertEquals(65504f, SafeTensors.halfToFloat((short) 0x7bff));
    assertEquals(0x1p-24f, SafeTensors.halfToFloat((short) 0x0001));
    assertEquals(0x1p-14f, SafeTensors.halfToFloat((short) 0x0400));
    assertEquals(Float.floatToRawIntBits(-0.0f),
        Float.floatToRawIntBits(SafeTensors.halfToFloat((short) 0x8000)));
  }

  @Test
  void floatToBf16RoundsToNearestEven() {
    assertEquals((short) 0x3f80, SafeTensors.floatToBf16(1.0f));
    // 1 + 2^-8 is exactly half-way between 1 and 1 + 2^-7: ties go to the even mantissa (1.0).
    assertEquals((short) 0x3f80, SafeTensors.floatToBf16(1.0f + 0x1p-8f));
    // 1 + 3 * 2^-8 is half-way between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up.
    assertEquals((short) 0x3f82, SafeTensors.floatToBf16(1.0f + 3 * 0x1p-8f));
    // Just above half-way rounds up; just below rounds down.
    assertEquals((short) 0x3f81, SafeTensors.floatToBf16(Math.nextUp(1.0f + 0x1p-8f)));
    assertEquals((short) 0x3f80, SafeTensors.floatToBf16(Math.nextDown(1.0f + 0x1p-8f)));
    assertEquals((short) 0xbf80, SafeTensors.floatToBf16(-1.0f));
    assertEquals((short) 0x7f80, SafeTensors.floatToBf16(Float.POSITIVE_INFINITY));
    assertEquals((short) 0x7f80, SafeTensors.floatToBf16(Float.MAX_VALUE)); // overflows to inf
    assertThat(Float.isNaN(SafeTensors.bf16ToFloat(SafeTensors.floatToBf16(Float.NaN)))).isTrue();
    // A NaN whose payload sits only in the low 16 bits must not turn into infinity.
    float lowPayloadNaN = Float.intBitsToFloat(0x7f800001);
    assertThat(Float.isNaN(SafeTensors.bf16ToFloat(SafeTensors.floatToBf16(lowPayloadNaN)))).isTrue();
    assertEquals(-0.0f, SafeTensors.bf16ToFloat((short) 0x8000));
  }

  @Test
  void readsF16AndF64Tensors() throws IOException {
    ByteBuffer data = le(4 * 2 + 2 * 8);
    data.putShort((short) 0x3c00).putShort((short) 0x0001).putShort((short) 0xfc00)
        .putShort((short) 0x3555);
    data.putDouble(0.1).putDouble(-3.5);
    Path file = rawFile("halves.safetensors",
        "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
            + "\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[8,24]}}",
        data.array());
    try (SafeTensors st = SafeTensors.openFile(file)) {
      assertThat(st.floats("h")).containsExactly(1.0f, 0x1p-24f, Float.NEGATIVE_INFINITY,
          0.333251953125f);
      assertThat(st.floats("d")).containsExactly(0.1f, -3.5f);
      assertThat(st.metadata()).isEmpty();
    }
  }

  @Test
  void readFloatsFillsBuffersInPiecesWithTheValuesOfFloats() throws IOException {
    // 3 elements each: F32 (with a NaN payload), BF16, F16; read as two pieces into direct buffers of
    // both byte orders (the F32 fast path needs little-endian; big-endian goes through conversion).
    ByteBuffer data = le(12 + 6 + 6);
    data.putInt(0x7fc00001).putFloat(-0.0f).putFloat(1.5e-42f);
    data.putShort((short) 0x4049).putShort((short) 0x8001).putShort((short) 0x7f80);
    data.putShort((short) 0x3555).putShort((short) 0x0001).putShort((short) 0xfc00);
    Path file = rawFile("pieces.safetensors",
        "{\"f\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[12,18]},"
            + "\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[18,24]}}",
        data.array());
    try (SafeTensors st = SafeTensors.openFile(file)) {
      for (String name : List.of("f", "b", "h")) {
        float[] expected = st.floats(name);
        for (ByteOrder order : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)) {
          ByteBuffer into = ByteBuffer.allocateDirect(12).order(order);
          st.readFloats(name, 0, into.slice(0, 4).order(order));
          ByteBuffer rest = into.slice(4, 8).order(order);
          st.readFloats(name, 1, rest);
          assertThat(rest.hasRemaining()).isFalse();
          for (int i = 0; i < 3; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(into.getFloat(4 * i)),
                name + " " + order + " element " + i);
          }
        }
      }
      assertThatThrownBy(() -> st.readFloats("b", 2, ByteBuffer.allocateDirect(8)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside tensor \"b\"");
    }
  }

  // ---- writer ------------------------------------------------------------------------------

  @Test
  void writeThenReadRoundTripsF32() throws IOException {
    Map<String, float[]> tensors = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    tensors.put("z.weight", new float[] {1, -2, 3.25f, Float.MIN_VALUE, Float.NaN, -0.0f});
    shapes.put("z.weight", new long[] {2, 3});
    tensors.put("a.bias", new float[] {0.5f});
    shapes.put("a.bias", new long[] {1});
    tensors.put("m.scalar", new float[] {7});
    shapes.put("m.scalar", new long[] {});
    tensors.put("m.empty", new float[0]);
    shapes.put("m.empty", new long[] {0, 4});
    Path file = dir.resolve("ckpt").resolve("model.safetensors");
    SafeTensors.write(file, tensors, shapes, Map.of("format", "pt", "step", "12"));

    byte[] bytes = Files.readAllBytes(file);
    long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLength % 8, "header padded to 8 bytes");
    String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
    assertThat(header).startsWith("{");
    assertThat(header.stripTrailing()).endsWith("}");
    assertThat(header.substring(header.stripTrailing().length())).matches(" {0,7}");
    assertEquals(8 + headerLength + 4 * (6 + 1 + 1), bytes.length);

    try (SafeTensors st = SafeTensors.openFile(file)) {
      assertThat(st.names()).containsExactly("a.bias", "m.empty", "m.scalar", "z.weight");
      assertThat(st.metadata()).containsEntry("format", "pt").containsEntry("step", "12");
      for (String name : tensors.keySet()) {
        assertThat(st.info(name).shape()).containsExactly(shapes.get(name));
        assertThat(st.info(name).dtype()).isEqualTo("F32");
        float[] expected = tensors.get(name);
        float[] actual = st.floats(name);
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
          assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]));
        }
      }
      // stored in name order, back to back
      assertEquals(8 + headerLength, st.info("a.bias").offset());
      assertEquals(st.info("a.bias").offset() + 4, st.info("m.scalar").offset());
    }
    try (Stream<Path> files = Files.list(file.getParent())) {
      assertThat(files).containsExactly(file); // no temp file left behind
    }

    // Overwriting an existing checkpoint replaces it.
    SafeTensors.write(file, Map.of("x", new float[] {4}), Map.of("x", new long[] {1}), Map.of());
    try (SafeTensors st = SafeTensors.openFile(file)) {
      assertThat(st.names()).containsExactly("x");
      assertThat(st.floats("x")).containsExactly(4f);
    }
  }

  @Test
  void writeBf16RoundsAndReadsBack() {
    float[] values = {1.0f, 1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, -2.5f, 3.14159f};
    Path file = dir.resolve("bf16.safetensors");
    SafeTensors.write(file, Map.of("w", values), Map.of("w", new long[] {5}), Map.of(), "BF16");
    try (SafeTensors st = SafeTensors.openFile(file)) {
      assertEquals("BF16", st.info("w").dtype());
      assertEquals(10, st.info("w").byteLength());
      // 3.14159 = 0x40490fd0 -> bf16 0x4049 (the dropped half 0x0fd0 is below half-way)
      assertThat(st.floats("w")).containsExactly(1.0f, 1.0f, 1.0f + 0x1p-6f, -2.5f,
          Float.intBitsToFloat(0x40490000));
    }
  }

  @Test
  void writeRejectsShapeThatDoesNotMatchValues() {
    Path file = dir.resolve("bad.safetensors");
    assertThatThrownBy(() -> SafeTensors.write(file, Map.of("w", new float[5]),
        Map.of("w", new long[] {2, 3}), Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("w");
    assertThat(file).doesNotExist();
  }

  // ---- sharded -----------------------------------------------------------------------------

  @Test
  void opensShardedModelThroughIndex() throws IOException {
    SafeTensors.write(dir.resolve("model-00001-of-00002.safetensors"),
        Map.of("a", new float[] {1, 2}), Map.of("a", new long[] {2}), Map.of("format", "pt"));
    SafeTensors.write(dir.resolve("model-00002-of-00002.safetensors"),
        Map.of("b", new float[] {3}, "c", new float[] {4, 5, 6}),
        Map.of("b", new long[] {1}, "c", new long[] {3}), Map.of("format", "pt"));
    Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\":{\"total_size\":24},"
        + "\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
        + "\"b\":\"model-00002-of-00002.safetensors\",\"c\":\"model-00002-of-00002.safetensors\"}}");
    try (SafeTensors st = SafeTensors.open(dir)) {
      assertThat(st.names()).containsExactly("a", "b", "c");
      assertThat(st.floats("a")).containsExactly(1, 2);
      assertThat(st.floats("c")).containsExactly(4, 5, 6);
      assertThat(st.info("b").file().getFileName().toString())
          .isEqualTo("model-00002-of-00002.safetensors");
      assertThat(st.files()).hasSize(2);
      assertThat(st.metadata()).containsEntry("format", "pt");
    }
    try (SafeTensors st = SafeTensors.open(dir.resolve("model.safetensors.index.json"))) {
      assertThat(st.names()).containsExactly("a", "b", "c");
    }
  }

  @Test
  void readsTensorBeyondTwoGibibytes() throws IOException {
    // A sparse file: a 2 GiB + 8 byte padding tensor, then 4 floats past the 2 GiB mark.
    long pad = (1L << 31) + 8;
    String header = "{\"pad\":{\"dtype\":\"U8\",\"shape\":[" + pad + "],\"data_offsets\":[0," + pad
        + "]},\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[" + pad + "," + (pad + 16)
        + "]}}";
    Path file = rawFile("big.safetensors", header, new byte[0]);
    long dataStart = Files.size(file);
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(dataStart + pad + 16);
      raf.seek(dataStart + pad);
      raf.write(le(16).putFloat(1.5f).putFloat(-2f).putFloat(3f).putFloat(0.25f).array());
    }
    try (SafeTensors st = SafeTensors.openFile(file)) {
      assertThat(st.info("x").offset()).isGreaterThan(Integer.MAX_VALUE);
      assertThat(st.floats("x")).containsExactly(1.5f, -2f, 3f, 0.25f);
      assertThatThrownBy(() -> st.floats("pad")).isInstanceOf(BadInputException.class)
          .hasMessageContaining("U8");
    }
  }

  // ---- bad input: one test per problem -----------------------------------------------------

  @Test
  void fileShorterThanEightBytes() throws IOException {
    Path file = dir.resolve("short.safetensors");
    Files.write(file, new byte[] {1, 2, 3});
    assertBad(file, () -> SafeTensors.openFile(file), "too short");
  }

  @Test
  void truncatedDataRegion() throws IOException {
    byte[] whole = Files.readAllBytes(Fixtures.fixture("stories260K", "model.safetensors"));
    Path file = dir.resolve("truncated.safetensors");
    Files.write(file, Arrays.copyOf(whole, whole.length - 100));
    assertBad(file, () -> SafeTensors.openFile(file), "truncated");
  }

  @Test
  void headerLengthBeyondFileSize() throws IOException {
    for (long length : new long[] {1L << 60, 100, -1L}) { // -1 is 2^64 - 1 unsigned
      Path file = dir.resolve("huge-header.safetensors");
      ByteBuffer b = le(8 + 50).putLong(length);
      Files.write(file, b.array());
      assertBad(file, () -> SafeTensors.openFile(file), "exceeds the file size");
    }
  }

  @Test
  void malformedHeaderJson() throws IOException {
    Path file = rawFile("bad-json.safetensors", "{\"a\": {\"dtype\": \"F32\",", new byte[0]);
    assertBad(file, () -> SafeTensors.openFile(file), "malformed header JSON");
  }

  @Test
  void dataOffsetsOutOfBounds() throws IOException {
    Path file = rawFile("oob.safetensors",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1048576],\"data_offsets\":[0,4194304]}}",
        new byte[16]);
    assertBad(file, () -> SafeTensors.openFile(file), "out of bounds");
  }

  @Test
  void overlappingOffsets() throws IOException {
    Path file = rawFile("overlap.safetensors",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
        new byte[24]);
    assertBad(file, () -> SafeTensors.openFile(file), "overlap");
  }

  @Test
  void beginAfterEnd() throws IOException {
    Path file = rawFile("reversed.safetensors",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", new byte[8]);
    assertBad(file, () -> SafeTensors.openFile(file), "begin 8 is after end 0");
  }

  @Test
  void unknownDtype() throws IOException {
    Path file = rawFile("q4.safetensors",
        "{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,1]}}", new byte[8]);
    assertBad(file, () -> SafeTensors.openFile(file), "unknown dtype \"Q4\"");
  }

  @Test
  void dtypeThatCannotBeReadAsFloats() throws IOException {
    Path file = rawFile("ids.safetensors",
        "{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", new byte[16]);
    try (SafeTensors st = SafeTensors.openFile(file)) {
      assertThat(st.info("ids").dtype()).isEqualTo("I64"); // the header itself is fine
      assertBad(file, () -> st.floats("ids"), "dtype I64, which cannot be read as floats");
    }
  }

  @Test
  void shapeDoesNotMatchByteSize() throws IOException {
    Path file = rawFile("mismatch.safetensors",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", new byte[24]);
    assertBad(file, () -> SafeTensors.openFile(file), "needs 24 bytes");
  }

  @Test
  void indexNamingMissingShard() throws IOException {
    SafeTensors.write(dir.resolve("model-00001-of-00002.safetensors"),
        Map.of("a", new float[] {1}), Map.of("a", new long[] {1}), Map.of());
    Path index = dir.resolve("model.safetensors.index.json");
    Files.writeString(index, "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
        + "\"b\":\"model-00002-of-00002.safetensors\"}}");
    assertBad(index, () -> SafeTensors.open(dir), "model-00002-of-00002.safetensors is missing");
  }

  @Test
  void malformedIndex() throws IOException {
    Path index = dir.resolve("model.safetensors.index.json");
    Files.writeString(index, "{\"weight_map\": {\"a\": ");
    assertBad(index, () -> SafeTensors.open(dir), "malformed JSON");
    Files.writeString(index, "{\"metadata\": {}}");
    assertBad(index, () -> SafeTensors.open(dir), "no \"weight_map\"");
  }

  @Test
  void absentTensorNamesTensorAndSearchedFiles() throws IOException {
    Path file = Fixtures.fixture("stories260K", "model.safetensors");
    try (SafeTensors st = SafeTensors.openFile(file)) {
      assertThat(st.contains("lm_head.weight")).isFalse();
      BadInputException e = assertBad(file, () -> st.info("lm_head.weight"), "\"lm_head.weight\"");
      assertThat(e.getMessage()).contains("searched " + file);
      assertBad(file, () -> st.floats("lm_head.weight"), "no tensor named");
    }
  }

  @Test
  void folderWithoutWeights() {
    assertBad(dir, () -> SafeTensors.open(dir),
        "neither model.safetensors nor model.safetensors.index.json");
  }

  // ---- helpers -----------------------------------------------------------------------------

  private static BadInputException assertBad(Path file, Runnable action, String problem) {
    try {
      action.run();
    } catch (BadInputException e) {
      assertThat(e.file()).isEqualTo(file);
      assertThat(e.getMessage()).contains(file.toString()).contains(problem);
      return e;
    }
    throw new AssertionError("expected a BadInputException about: " + problem);
  }

  /** A safetensors file from a header string (padded with spaces to 8 bytes) and data bytes. */
  private Path rawFile(String name, String header, byte[] data) throws IOException {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer b = le(8 + padded + data.length).putLong(padded).put(json);
    while (b.position() < 8 + padded) {
      b.put((byte) ' ');
    }
    b.put(data);
    Path file = dir.resolve(name);
    Files.write(file, b.array());
    return file;
  }

  private static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static byte[] rawBytes(Path file, long offset, int length) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      byte[] b = new byte[length];
      raf.seek(offset);
      raf.readFully(b);
      return b;
    }
  }
}
