package dro4j.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dro4j.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads (and writes) tensors in the Hugging Face safetensors format, in pure Java.
 *
 * <p>A file is an 8-byte little-endian header length N, N bytes of UTF-8 JSON describing each tensor
 * ({@code dtype}, {@code shape}, {@code data_offsets} relative to the end of the header), then the raw
 * little-endian data. A model folder holds either one {@code model.safetensors} or the sharded form
 * {@code model.safetensors.index.json} plus the shard files it names.
 *
 * <p>Headers are parsed and validated when the reader opens; tensor data is read only when asked for,
 * by positional reads through a small reused buffer, so files (and tensors) over 2 GiB work, nothing
 * reads a whole file into the heap, and {@link #readFloats(String, long, ByteBuffer)} fills a tensor's
 * own storage without any Java array of its size. Every problem with the input is a {@link BadInputException} naming the file.
 */
public final class SafeTensors implements AutoCloseable {

  /** The single-file name inside a model folder. */
  public static final String SINGLE_FILE = "model.safetensors";

  /** The index of a sharded model inside a model folder. */
  public static final String INDEX_FILE = "model.safetensors.index.json";

  // The safetensors library refuses headers above 100 MB; so do we (a real header is a few MB).
  private static final long MAX_HEADER_BYTES = 100_000_000L;

  // Converted dtypes are read through a buffer of this size (a multiple of every element size).
  private static final int STAGING_BYTES = 1 << 20;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /**
   * Where one tensor lives.
   *
   * @param name tensor name as written in the header
   * @param dtype safetensors dtype string ({@code F32}, {@code BF16}, ...)
   * @param shape dimensions, outermost first (empty for a scalar)
   * @param file the file holding the data
   * @param offset absolute byte offset of the first element in {@code file}
   * @param byteLength number of data bytes
   */
  public record TensorInfo(
      String name, String dtype, long[] shape, Path file, long offset, long byteLength) {

    /** Number of elements, the product of the shape (1 for a scalar). */
    public long numElements() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }

    /** The shape as {@code int[]}, for APIs that take one. */
    public int[] intShape() {
      int[] s = new int[shape.length];
      for (int i = 0; i < s.length; i++) {
        s[i] = Math.toIntExact(shape[i]);
      }
      return s;
    }

    @Override
    public String toString() {
      return name + " " + dtype + Arrays.toString(shape) + " @" + offset + "+" + byteLength
          + " in " + file;
    }
  }

  private final Path source; // the file or index.json named in "not found" errors
  private final Map<String, TensorInfo> tensors; // sorted by name
  private final Map<String, String> metadata;
  private final Map<Path, FileChannel> channels;
  private boolean closed;
  private ByteBuffer staging; // made at the first converted read, reused by every later one

  private SafeTensors(
      Path source,
      Map<String, TensorInfo> tensors,
      Map<String, String> metadata,
      Map<Path, FileChannel> channels) {
    this.source = source;
    this.tensors = Collections.unmodifiableMap(tensors);
    this.metadata = Collections.unmodifiableMap(metadata);
    this.channels = channels;
  }

  /**
   * Opens the weights of a Hugging Face model folder: {@code model.safetensors}, or the shards listed
   * by {@code model.safetensors.index.json} when there is no single file. Given a file instead of a
   * folder, opens that file.
   */
  public static SafeTensors open(Path modelDir) {
    if (Files.isRegularFile(modelDir)) {
      return modelDir.getFileName().toString().endsWith(".json")
          ? openIndex(modelDir)
          : openFile(modelDir);
    }
    Path single = modelDir.resolve(SINGLE_FILE);
    Path index = modelDir.resolve(INDEX_FILE);
    if (Files.isRegularFile(single)) {
      return openFile(single);
    }
    if (Files.isRegularFile(index)) {
      return openIndex(index);
    }
    if (!Files.isDirectory(modelDir)) {
      throw new BadInputException(modelDir, "model folder does not exist");
    }
    throw new BadInputException(
        modelDir, "folder has neither " + SINGLE_FILE + " nor " + INDEX_FILE);
  }

  /** Opens one safetensors file. */
  public static SafeTensors openFile(Path file) {
    FileChannel channel = openChannel(file);
    try {
      Map<String, String> metadata = new LinkedHashMap<>();
      Map<String, TensorInfo> tensors = readHeader(file, channel, metadata);
      Map<Path, FileChannel> channels = new LinkedHashMap<>();
      channels.put(file, channel);
      return new SafeTensors(file, tensors, metadata, channels);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  /** Opens a sharded model from its {@code model.safetensors.index.json}. */
  public static SafeTensors openIndex(Path indexFile) {
    JsonNode root = new Json(indexFile).read();
    JsonNode weightMap = root.get("weight_map");
    if (weightMap == null || !weightMap.isObject()) {
      throw new BadInputException(indexFile, "index has no \"weight_map\" object");
    }
    // Shard file name -> tensor names the index puts there, in order of first appearance.
    Map<String, List<String>> shardTensors = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new BadInputException(
            indexFile, "weight_map entry \"" + e.getKey() + "\" is not a file name");
      }
      shardTensors.computeIfAbsent(e.getValue().asText(), k -> new ArrayList<>()).add(e.getKey());
    }
    if (shardTensors.isEmpty()) {
      throw new BadInputException(indexFile, "weight_map is empty");
    }

    Path dir = indexFile.toAbsolutePath().getParent();
    Map<String, TensorInfo> tensors = new TreeMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    Map<Path, FileChannel> channels = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, List<String>> shard : shardTensors.entrySet()) {
        Path shardFile = dir.resolve(shard.getKey()).normalize();
        if (!shardFile.startsWith(dir)) {
          throw new BadInputException(
              indexFile, "shard \"" + shard.getKey() + "\" is outside the model folder");
        }
        if (!Files.isRegularFile(shardFile)) {
          throw new BadInputException(
              indexFile, "shard file " + shard.getKey() + " is missing (looked for " + shardFile
                  + ")");
        }
        FileChannel channel = openChannel(shardFile);
        channels.put(shardFile, channel);
        Map<String, String> shardMetadata = new LinkedHashMap<>();
        Map<String, TensorInfo> shardInfos = readHeader(shardFile, channel, shardMetadata);
        shardMetadata.forEach(metadata::putIfAbsent);
        for (String name : shard.getValue()) {
          if (!shardInfos.containsKey(name)) {
            throw new BadInputException(
                indexFile, "weight_map puts tensor \"" + name + "\" in " + shard.getKey()
                    + " but that shard has no such tensor");
          }
        }
        for (TensorInfo info : shardInfos.values()) {
          TensorInfo previous = tensors.put(info.name(), info);
          if (previous != null) {
            throw new BadInputException(
                indexFile, "tensor \"" + info.name() + "\" appears in both "
                    + previous.file().getFileName() + " and " + shardFile.getFileName());
          }
        }
      }
    } catch (RuntimeException e) {
      channels.values().forEach(SafeTensors::closeQuietly);
      throw e;
    }
    return new SafeTensors(indexFile, tensors, metadata, channels);
  }

  /** Names of all tensors, sorted. */
  public Set<String> names() {
    return tensors.keySet();
  }

  /** Whether a tensor of this name exists. */
  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  /** Where the named tensor lives; a {@link BadInputException} when there is no such tensor. */
  public TensorInfo info(String name) {
    TensorInfo info = tensors.get(name);
    if (info == null) {
      throw new BadInputException(source, "no tensor named \"" + name + "\" (searched "
          + searchedFiles() + ")");
    }
    return info;
  }

  /** The {@code __metadata__} string map (for a sharded model, the union over shards). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** The files this reader reads from. */
  public List<Path> files() {
    return List.copyOf(channels.keySet());
  }

  /**
   * The named tensor as fp32, flattened row-major. F32 is copied, F16 and BF16 are widened exactly,
   * F64 is rounded to nearest. Other dtypes (integers, fp8) are a {@link BadInputException}.
   */
  public float[] floats(String name) {
    TensorInfo info = info(name);
    floatingDtype(info);
    long count = info.numElements();
    if (count > Integer.MAX_VALUE - 8) {
      throw new BadInputException(info.file(), "tensor \"" + name + "\" has " + count
          + " elements, too many for one Java array");
    }
    float[] out = new float[(int) count];
    readConverted(info, Dtype.of(info.dtype()), 0, FloatBuffer.wrap(out));
    return out;
  }

  /**
   * Reads elements {@code [first, first + out.remaining() / 4)} of the named tensor (flattened
   * row-major) into {@code out} as fp32 in {@code out}'s byte order, converted as {@link #floats}
   * does, and advances its position past them. With a direct {@code out} (a tensor's own storage, say)
   * nothing of the tensor's size passes through the Java heap: the file is read through a small
   * reused buffer, or for F32 into a little-endian {@code out}, straight into it. The file is read,
   * not mapped, so its pages do not add to this process's resident memory. Not for concurrent use.
   *
   * @throws BadInputException when the dtype is not a float type, the range lies outside the tensor,
   *     or the file ends early (changed since it was opened)
   */
  public void readFloats(String name, long first, ByteBuffer out) {
    TensorInfo info = info(name);
    Dtype dtype = floatingDtype(info);
    if (out.remaining() % Float.BYTES != 0) {
      throw new IllegalArgumentException("buffer of " + out.remaining() + " bytes does not hold whole floats");
    }
    long count = out.remaining() / Float.BYTES;
    if (dtype == Dtype.F32 && out.order() == ByteOrder.LITTLE_ENDIAN) {
      checkRange(info, first, count);
      readExactly(info, out, info.offset() + first * dtype.size);
      return;
    }
    readConverted(info, dtype, first, out.asFloatBuffer());
    out.position(out.limit());
  }

  /** Fills {@code out}'s remaining floats from element {@code first} on, through the staging buffer. */
  private void readConverted(TensorInfo info, Dtype dtype, long first, FloatBuffer out) {
    checkRange(info, first, out.remaining());
    if (staging == null) {
      staging = ByteBuffer.allocateDirect(STAGING_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }
    long position = info.offset() + first * dtype.size;
    while (out.hasRemaining()) {
      int n = Math.min(out.remaining(), STAGING_BYTES / dtype.size);
      staging.clear().limit(n * dtype.size);
      readExactly(info, staging, position);
      position += (long) n * dtype.size;
      convert(dtype, staging.flip(), out);
    }
  }

  private static void checkRange(TensorInfo info, long first, long count) {
    if (first < 0 || first + count > info.numElements()) {
      throw new IllegalArgumentException("elements [" + first + ", " + (first + count) + ") are outside tensor \""
          + info.name() + "\" of " + info.numElements());
    }
  }

  private void readExactly(TensorInfo info, ByteBuffer into, long position) {
    FileChannel channel = channel(info.file());
    try {
      while (into.hasRemaining()) {
        int n = channel.read(into, position);
        if (n < 0) {
          throw new BadInputException(info.file(), "file ends at byte " + position + " inside tensor \""
              + info.name() + "\" (truncated since it was opened?)");
        }
        position += n;
      }
    } catch (IOException e) {
      throw new BadInputException(info.file(), "cannot read tensor \"" + info.name() + "\": " + e.getMessage(), e);
    }
  }

  private static Dtype floatingDtype(TensorInfo info) {
    Dtype dtype = Dtype.of(info.dtype());
    if (dtype == null || !dtype.floating) {
      throw new BadInputException(info.file(), "tensor \"" + info.name() + "\" has dtype " + info.dtype()
          + ", which cannot be read as floats (supported: F32, F16, BF16, F64)");
    }
    return dtype;
  }

  private static void convert(Dtype dtype, ByteBuffer bytes, FloatBuffer out) {
    switch (dtype) {
      case F32 -> out.put(bytes.asFloatBuffer());
      case F64 -> {
        while (bytes.hasRemaining()) {
          out.put((float) bytes.getDouble());
        }
      }
      case BF16 -> {
        while (bytes.hasRemaining()) {
          out.put(bf16ToFloat(bytes.getShort()));
        }
      }
      case F16 -> {
        while (bytes.hasRemaining()) {
          out.put(halfToFloat(bytes.getShort()));
        }
      }
      default -> throw new IllegalStateException("not a float dtype: " + dtype);
    }
  }

  /** Widens a bfloat16 bit pattern (the upper half of an fp32) to fp32; exact. */
  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  /**
   * Rounds an fp32 to bfloat16 bits, to nearest with ties to even (as PyTorch does); NaN stays a
   * quiet NaN, overflow becomes infinity.
   */
  public static short floatToBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) {
      return (short) ((bits >>> 16) | 0x0040); // keep the sign, force the quiet bit
    }
    int lsb = (bits >>> 16) & 1;
    return (short) ((bits + 0x7fff + lsb) >>> 16);
  }

  /**
   * Widens an IEEE 754 half-precision bit pattern to fp32; exact, including subnormals, signed
   * zeros, infinities and NaN payloads. ({@code Float.float16ToFloat} needs Java 20.)
   */
  public static float halfToFloat(short half) {
    int h = half & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1f;
    int mantissa = h & 0x3ff;
    if (exponent == 0) {
      // Zero or subnormal: mantissa * 2^-24, exact in fp32.
      float magnitude = mantissa * 0x1p-24f;
      return sign != 0 ? -magnitude : magnitude;
    }
    if (exponent == 0x1f) {
      // Infinity (mantissa 0) or NaN (payload moved to the top of the fp32 mantissa).
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    IOException first = null;
    for (FileChannel c : channels.values()) {
      try {
        c.close();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    if (first != null) {
      throw new UncheckedIOException(first);
    }
  }

  @Override
  public String toString() {
    return "SafeTensors(" + source + ", " + tensors.size() + " tensors)";
  }

  // ---------------------------------------------------------------------------------------------
  // Writing

  /** Writes fp32 tensors to one safetensors file; see {@link #write(Path, Map, Map, Map, String)}. */
  public static void write(
      Path file,
      Map<String, float[]> tensors,
      Map<String, long[]> shapes,
      Map<String, String> metadata) {
    write(file, tensors, shapes, metadata, "F32");
  }

  /**
   * Writes tensors to one safetensors file that the Hugging Face library (and {@link #openFile})
   * reads. Tensors are stored in name order; the header is padded with spaces to a multiple of 8
   * bytes, as the Hugging Face library does. The file is written to a temporary file in the same
   * folder and renamed over {@code file} only when complete, so a crash never leaves a half-written
   * checkpoint behind.
   *
   * @param tensors name to flattened row-major values
   * @param shapes name to shape; every tensor needs one, with product equal to its length
   * @param metadata the {@code __metadata__} strings (may be empty or null)
   * @param dtype {@code "F32"}, or {@code "BF16"} (rounded to nearest even)
   */
  public static void write(
      Path file,
      Map<String, float[]> tensors,
      Map<String, long[]> shapes,
      Map<String, String> metadata,
      String dtype) {
    Dtype out = Dtype.of(dtype);
    if (out != Dtype.F32 && out != Dtype.BF16) {
      throw new IllegalArgumentException("can write F32 or BF16, not " + dtype);
    }
    Map<String, float[]> sorted = new TreeMap<>(tensors);
    ObjectNode header = JSON.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      new TreeMap<>(metadata).forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, float[]> e : sorted.entrySet()) {
      String name = e.getKey();
      if (name.equals("__metadata__")) {
        throw new IllegalArgumentException("\"__metadata__\" is reserved, not a tensor name");
      }
      long[] shape = shapes.get(name);
      if (shape == null) {
        throw new IllegalArgumentException("no shape given for tensor " + name);
      }
      long count = 1;
      for (long d : shape) {
        if (d < 0) {
          throw new IllegalArgumentException("negative dimension in shape of " + name);
        }
        count = Math.multiplyExact(count, d);
      }
      if (count != e.getValue().length) {
        throw new IllegalArgumentException("tensor " + name + " has " + e.getValue().length
            + " values but shape " + Arrays.toString(shape) + " needs " + count);
      }
      long bytes = count * out.size;
      ObjectNode t = header.putObject(name);
      t.put("dtype", out.name());
      var shapeNode = t.putArray("shape");
      for (long d : shape) {
        shapeNode.add(d);
      }
      t.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }

    byte[] json;
    try {
      json = JSON.writeValueAsBytes(header);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // cannot happen for a tree of strings and numbers
    }
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    head.flip();

    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      // Not Files.createTempFile: that makes an owner-only (0600) file, and a model file should get the
      // ordinary permissions of a new file (the umask's), like any file transformers writes.
      tmp = dir.resolve("." + target.getFileName() + "."
          + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE) + ".tmp");
      Files.createFile(tmp);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        writeFully(ch, head);
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] values : sorted.values()) {
          for (float v : values) {
            if (buf.remaining() < 4) {
              buf.flip();
              writeFully(ch, buf);
              buf.clear();
            }
            if (out == Dtype.F32) {
              buf.putFloat(v);
            } else {
              buf.putShort(floatToBf16(v));
            }
          }
        }
        buf.flip();
        writeFully(ch, buf);
        ch.force(true);
      }
      try {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + target, e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the original failure matters more than the leftover temp file
        }
      }
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Header parsing and validation

  /** The dtypes of the safetensors format, with element sizes; {@code floating} = readable here. */
  private enum Dtype {
    BOOL(1, false), U8(1, false), I8(1, false), F8_E5M2(1, false), F8_E4M3(1, false),
    I16(2, false), U16(2, false), F16(2, true), BF16(2, true),
    I32(4, false), U32(4, false), F32(4, true),
    F64(8, true), I64(8, false), U64(8, false);

    final int size;
    final boolean floating;

    Dtype(int size, boolean floating) {
      this.size = size;
      this.floating = floating;
    }

    static Dtype of(String name) {
      for (Dtype d : values()) {
        if (d.name().equals(name)) {
          return d;
        }
      }
      return null;
    }
  }

  private static Map<String, TensorInfo> readHeader(
      Path file, FileChannel channel, Map<String, String> metadataOut) {
    long fileSize;
    ByteBuffer header;
    try {
      fileSize = channel.size();
      if (fileSize < 8) {
        throw new BadInputException(file, "file is " + fileSize
            + " bytes, too short for a safetensors header (truncated or not safetensors)");
      }
      ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, lengthBytes, 0);
      long headerLength = lengthBytes.flip().getLong();
      // Checked against the file size before allocating: a garbage length must not become an OOM.
      if (headerLength < 0 || headerLength > fileSize - 8) {
        throw new BadInputException(file, "header length " + Long.toUnsignedString(headerLength)
            + " exceeds the file size " + fileSize + " (truncated or not safetensors)");
      }
      if (headerLength > MAX_HEADER_BYTES) {
        throw new BadInputException(file, "header length " + headerLength
            + " is over the " + MAX_HEADER_BYTES + "-byte limit");
      }
      header = ByteBuffer.allocate((int) headerLength);
      readFully(channel, header, 8);
      header.flip();
    } catch (IOException e) {
      throw new BadInputException(file, "cannot read: " + e.getMessage(), e);
    }
    long dataStart = 8 + header.remaining();
    long dataLength = fileSize - dataStart;

    JsonNode root;
    try {
      String text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .decode(header)
          .toString();
      root = JSON.readTree(text);
    } catch (CharacterCodingException e) {
      throw new BadInputException(file, "header is not valid UTF-8", e);
    } catch (JsonProcessingException e) {
      throw new BadInputException(file, "malformed header JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new BadInputException(file, "malformed header JSON: expected an object");
    }

    Map<String, TensorInfo> tensors = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      JsonNode node = e.getValue();
      if (name.equals("__metadata__")) {
        readMetadata(file, node, metadataOut);
        continue;
      }
      tensors.put(name, readTensor(file, name, node, dataStart, dataLength));
    }
    checkOverlaps(file, tensors.values(), dataStart);
    return tensors;
  }

  private static void readMetadata(Path file, JsonNode node, Map<String, String> out) {
    if (node.isNull()) {
      return;
    }
    if (!node.isObject()) {
      throw new BadInputException(file, "__metadata__ is not an object");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> m = it.next();
      if (!m.getValue().isTextual()) {
        throw new BadInputException(file, "__metadata__ value \"" + m.getKey()
            + "\" is not a string");
      }
      out.put(m.getKey(), m.getValue().asText());
    }
  }

  private static TensorInfo readTensor(
      Path file, String name, JsonNode node, long dataStart, long dataLength) {
    String where = "tensor \"" + name + "\"";
    if (!node.isObject()) {
      throw new BadInputException(file, where + ": entry is not an object");
    }
    JsonNode dtypeNode = node.get("dtype");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw new BadInputException(file, where + ": missing \"dtype\"");
    }
    String dtypeName = dtypeNode.asText();
    Dtype dtype = Dtype.of(dtypeName);
    if (dtype == null) {
      throw new BadInputException(file, where + ": unknown dtype \"" + dtypeName + "\"");
    }

    JsonNode shapeNode = node.get("shape");
    if (shapeNode == null || !shapeNode.isArray()) {
      throw new BadInputException(file, where + ": missing \"shape\" array");
    }
    long[] shape = new long[shapeNode.size()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.canConvertToExactIntegral() || !d.canConvertToLong() || d.asLong() < 0) {
        throw new BadInputException(file, where + ": shape " + shapeNode
            + " has an entry that is not a non-negative integer");
      }
      shape[i] = d.asLong();
      count = multiplyOrMax(count, shape[i]);
    }

    JsonNode offsets = node.get("data_offsets");
    if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
      throw new BadInputException(file, where + ": \"data_offsets\" must be [begin, end]");
    }
    for (JsonNode o : offsets) {
      if (!o.canConvertToExactIntegral() || !o.canConvertToLong() || o.asLong() < 0) {
        throw new BadInputException(file, where + ": data_offsets " + offsets
            + " must be non-negative integers");
      }
    }
    long begin = offsets.get(0).asLong();
    long end = offsets.get(1).asLong();
    if (begin > end) {
      throw new BadInputException(file, where + ": data_offsets begin " + begin
          + " is after end " + end);
    }
    long byteLength = end - begin;
    long expected = multiplyOrMax(count, dtype.size);
    if (expected != byteLength) {
      throw new BadInputException(file, where + ": shape " + Arrays.toString(shape) + " of "
          + dtypeName + " needs " + (expected == Long.MAX_VALUE ? "more than 2^63" : expected)
          + " bytes but data_offsets [" + begin + ", " + end + "] span " + byteLength);
    }
    if (end > dataLength) {
      throw new BadInputException(file, where + ": data_offsets [" + begin + ", " + end
          + "] are out of bounds; the data region holds only " + dataLength
          + " bytes (truncated file?)");
    }
    return new TensorInfo(name, dtypeName, shape, file, dataStart + begin, byteLength);
  }

  private static void checkOverlaps(Path file, Iterable<TensorInfo> infos, long dataStart) {
    List<TensorInfo> byOffset = new ArrayList<>();
    infos.forEach(byOffset::add);
    byOffset.sort(Comparator.comparingLong(TensorInfo::offset)
        .thenComparingLong(TensorInfo::byteLength));
    TensorInfo previous = null;
    for (TensorInfo t : byOffset) {
      if (t.byteLength() == 0) {
        continue; // an empty tensor occupies no bytes, wherever it points
      }
      if (previous != null && t.offset() < previous.offset() + previous.byteLength()) {
        throw new BadInputException(file, "tensors \"" + previous.name() + "\" ["
            + (previous.offset() - dataStart) + ", "
            + (previous.offset() - dataStart + previous.byteLength()) + ") and \"" + t.name()
            + "\" [" + (t.offset() - dataStart) + ", " + (t.offset() - dataStart + t.byteLength())
            + ") overlap");
      }
      previous = t;
    }
  }

  private static long multiplyOrMax(long a, long b) {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE; // no file is that large, so a size check then fails cleanly
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Files

  private static FileChannel openChannel(Path file) {
    try {
      return FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new BadInputException(file, "file does not exist", e);
    } catch (IOException e) {
      throw new BadInputException(file, "cannot open: " + e.getMessage(), e);
    }
  }

  private FileChannel channel(Path file) {
    if (closed) {
      throw new IllegalStateException("SafeTensors for " + source + " is closed");
    }
    return channels.get(file);
  }

  private static void readFully(FileChannel channel, ByteBuffer buf, long position)
      throws IOException {
    while (buf.hasRemaining()) {
      int n = channel.read(buf, position);
      if (n < 0) {
        throw new IOException("unexpected end of file at byte " + position);
      }
      position += n;
    }
  }

  private String searchedFiles() {
    Set<String> names = new LinkedHashSet<>();
    for (Path p : channels.keySet()) {
      names.add(p.toString());
    }
    return String.join(", ", names);
  }

  private static void closeQuietly(FileChannel c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // already failing; the first error is the one to report
    }
  }
}
