"""Preprocessing pipelines: shapes, ink handling, blank pages, decoding errors, EXIF."""

import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from models.errors import (
    BlankImageError,
    NoFaceDetectedError,
    TooManyPixelsError,
    UnreadableImageError,
    UnsupportedImageFormatError,
)
from models.preprocessing import PreprocessSpec, build_preprocessor, decode_image
from models.preprocessing.face import FacePreprocessor
from models.preprocessing.face_options import FaceOptions
from tests.helpers import dataset_path

LFW = dataset_path("lfw") / "images"
SIGNATURE = build_preprocessor(PreprocessSpec(name="signature", height=150, width=220))


def scribble(
    width: int = 600, height: int = 300, paper: int = 215, scale: float = 1.0
) -> Image.Image:
    """Dark strokes on grey, noisy paper, drawn off-centre."""
    rng = np.random.default_rng(0)
    page = np.clip(rng.normal(paper, 6, (height, width)), 0, 255).astype(np.uint8)
    image = Image.fromarray(page)
    draw = ImageDraw.Draw(image)
    points = [
        (int(x * scale), int(y * scale))
        for x, y in [(120, 160), (200, 90), (260, 200), (330, 110), (420, 180)]
    ]
    draw.line(points, fill=30, width=max(2, int(6 * scale)))
    return image


def test_signature_is_cropped_centred_inverted_and_sized() -> None:
    tensor = SIGNATURE.prepare(scribble())
    assert tensor.shape == (1, 150, 220)
    assert tensor.dtype == torch.uint8
    array = tensor[0].numpy()
    # paper became pure background (0 after inversion)
    assert array[0, 0] == 0
    assert array[-1, -1] == 0
    ink_cols = np.flatnonzero(array.max(axis=0) > 128)
    ink_rows = np.flatnonzero(array.max(axis=1) > 128)
    # the strokes fill the canvas in one direction (aspect kept) and are centred
    assert ink_cols[-1] - ink_cols[0] > 180 or ink_rows[-1] - ink_rows[0] > 120
    assert abs((ink_cols[0] + ink_cols[-1]) / 2 - 110) < 12


def test_signature_ignores_paper_tint() -> None:
    light = SIGNATURE.prepare(scribble(paper=235)).float()
    dark = SIGNATURE.prepare(scribble(paper=180)).float()
    assert (light - dark).abs().mean() < 6


def test_binarised_signatures_do_not_depend_on_the_ink_grey() -> None:
    binary = build_preprocessor(
        PreprocessSpec(name="signature", height=150, width=220, binarize=True)
    )
    pages = [np.asarray(scribble()).copy() for _ in range(2)]
    pages[1][pages[1] < 100] = 90  # a lighter pen (or a grey scan) on the same strokes
    grey_ink = [SIGNATURE.prepare(Image.fromarray(p)).float() for p in pages]
    binary_ink = [binary.prepare(Image.fromarray(p)).float() for p in pages]
    # Grey: the lighter pen reaches the network lighter (measured: 150 against 225).
    assert grey_ink[0].max() - grey_ink[1].max() > 50
    # Binarised: full ink either way; only the crop's edge pixels may move (measured mean
    # difference 1.1 against 2.6 grey levels).
    assert abs(binary_ink[0].max() - binary_ink[1].max()) <= 2
    assert binary_ink[1].max() > 250
    binary_change = (binary_ink[0] - binary_ink[1]).abs().mean()
    assert binary_change < 0.5 * (grey_ink[0] - grey_ink[1]).abs().mean()


def test_binarize_is_refused_outside_the_signature_pipeline() -> None:
    with pytest.raises(ValueError, match="signature pipeline only"):
        PreprocessSpec(name="grey", height=8, width=8, binarize=True)


def _prepared(page: np.ndarray, mode: str = "L") -> torch.Tensor:
    return SIGNATURE.prepare(Image.fromarray(np.clip(page, 0, 255).astype(np.uint8), mode)).float()


def test_a_frame_along_the_edges_is_not_ink() -> None:
    page = np.asarray(scribble()).astype(float)
    page[4:8, :] = page[-8:-4, :] = page[:, 4:8] = page[:, -8:-4] = 25  # a dark border
    # without removal the crop would be the whole page and the strokes would shrink
    assert (_prepared(page) - SIGNATURE.prepare(scribble()).float()).abs().mean() < 0.5


def test_uneven_lighting_and_coloured_paper_are_divided_out() -> None:
    clean = SIGNATURE.prepare(scribble()).float()
    page = np.asarray(scribble()).astype(float)
    height, width = page.shape
    # a photo's shading: 45 % darker on the left, 20 % at the top (measured: 2.3 levels)
    shaded = page * np.linspace(0.55, 1.0, width)[None, :] * np.linspace(0.8, 1.0, height)[:, None]
    assert (_prepared(shaded) - clean).abs().mean() < 4
    # yellowish paper in colour (measured: 2.2 levels)
    yellow = np.stack([page, page * 0.93, page * 0.75], axis=-1)
    assert (_prepared(yellow, "RGB") - clean).abs().mean() < 4


@pytest.mark.parametrize(
    "page", [np.full((300, 600), 230), np.random.default_rng(1).normal(220, 6, (300, 600))]
)
def test_blank_page_is_rejected(page: np.ndarray) -> None:
    with pytest.raises(BlankImageError, match="no signature"):
        SIGNATURE.prepare(Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)))


def test_plain_pipeline_produces_the_spec_shape() -> None:
    photo = Image.new("RGB", (250, 250), (120, 80, 60))
    grey = build_preprocessor(PreprocessSpec(name="grey", height=112, width=92))
    assert grey.prepare(photo).shape == (1, 112, 92)


def test_a_photo_without_a_face_is_rejected_as_no_face() -> None:
    face = build_preprocessor(PreprocessSpec(name="face", height=112, width=112))
    with pytest.raises(NoFaceDetectedError, match="no face detected"):
        face.prepare(Image.new("RGB", (250, 250), (120, 80, 60)))


@pytest.mark.dataset
@pytest.mark.skipif(not LFW.is_dir(), reason="../shared/datasets/lfw is not present")
def test_a_face_photo_becomes_an_aligned_chip_of_the_spec_size() -> None:
    face = build_preprocessor(PreprocessSpec(name="face", height=112, width=96))
    with Image.open(LFW / "Aaron_Sorkin" / "Aaron_Sorkin_0001.jpg") as photo:
        chip = face.prepare(photo)
    assert chip.shape == (3, 112, 96)
    assert chip.dtype == torch.uint8

    # The same photo enlarged 1.6x and shifted gives nearly the same chip: alignment undoes
    # it. Measured over the first 12 people with two photos: median 8.6 grey levels apart
    # (6.2 to 21.9), against 55 for the person's other photo and 17.6 for the aligned chip
    # moved by 3 pixels.
    people = [d for d in sorted(LFW.iterdir()) if len(list(d.glob("*.jpg"))) >= 2][:12]
    moved_apart, other_apart, shifted_apart = [], [], []
    for person in people:
        first, second = sorted(person.glob("*.jpg"))[:2]
        with Image.open(first) as photo:
            chip = face.prepare(photo).float()
            moved = face.prepare(photo.resize((400, 400)).crop((30, 10, 380, 380))).float()
        with Image.open(second) as photo:
            other = face.prepare(photo).float()
        moved_apart.append((moved - chip).abs().mean().item())
        other_apart.append((other - chip).abs().mean().item())
        shifted_apart.append((chip.roll(3, dims=2) - chip).abs().mean().item())
    assert np.median(moved_apart) < 12
    assert np.median(moved_apart) < np.median(shifted_apart)
    assert all(m < 0.5 * o for m, o in zip(moved_apart, other_apart, strict=True))


@pytest.mark.dataset
@pytest.mark.skipif(not LFW.is_dir(), reason="../shared/datasets/lfw is not present")
def lfw_rgb(name: str, number: int) -> np.ndarray:
    with Image.open(LFW / name / f"{name}_{number:04d}.jpg") as photo:
        return np.asarray(photo.convert("RGB"))


@pytest.mark.dataset
@pytest.mark.skipif(not LFW.is_dir(), reason="../shared/datasets/lfw is not present")
def test_the_largest_or_the_central_face_is_the_subject_as_configured() -> None:
    spec = PreprocessSpec(name="face", height=150, width=150)
    big = lfw_rgb("Aaron_Sorkin", 1)
    small = np.asarray(Image.fromarray(lfw_rgb("Abel_Pacheco", 1)).resize((150, 150)))
    # a 600x250 photo: the small face in the middle, the big one at the right edge
    photo = np.full((250, 600, 3), 128, np.uint8)
    photo[50:200, 225:375] = small
    photo[:, 350:600] = big
    largest = FacePreprocessor(spec, FaceOptions(selection="largest")).align(Image.fromarray(photo))
    central = FacePreprocessor(spec, FaceOptions(selection="central")).align(Image.fromarray(photo))
    prominent = FacePreprocessor(spec).align(Image.fromarray(photo))  # the default
    assert len(largest.faces) == len(central.faces) == len(prominent.faces) == 2
    assert largest.face.box[0] > 350  # the big face
    assert 225 <= central.face.box[0] < 300  # the middle one
    # a bystander nearer the camera at the edge is not the subject
    assert prominent.face.box == central.face.box
    assert largest.face.box[3] > central.face.box[3]
    # the other face is more than half the chosen one's height: a rival for enrolment
    assert largest.rival_faces == 1


@pytest.mark.dataset
@pytest.mark.skipif(not LFW.is_dir(), reason="../shared/datasets/lfw is not present")
def test_a_phone_sized_photo_is_detected_on_a_copy_and_aligned_without_aliasing() -> None:
    face = FacePreprocessor(PreprocessSpec(name="face", height=150, width=150))
    photo = Image.fromarray(lfw_rgb("Aaron_Sorkin", 1))
    small = face.align(photo)
    huge = face.align(photo.resize((3000, 3000), Image.Resampling.BICUBIC))  # 12x, 9 MP
    # boxes and landmarks come back in the big photo's pixels
    np.testing.assert_allclose(huge.face.landmarks / 12, small.face.landmarks, atol=2.0)
    assert abs(huge.face.box[2] / 12 - small.face.box[2]) < 6
    # and the chip is the same face, framed the same way
    difference = (huge.chip.float() - small.chip.float()).abs().mean()
    assert difference < 8


def test_to_input_normalises_with_the_spec() -> None:
    pre = build_preprocessor(PreprocessSpec(name="grey", height=2, width=2, mean=0.5, std=0.25))
    batch = torch.tensor([[[[0, 255], [128, 64]]]], dtype=torch.uint8)
    expected = (batch.float() / 255 - 0.5) / 0.25
    torch.testing.assert_close(pre.to_input(batch), expected)


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_undecodable_bytes_raise_a_clear_error(data: bytes) -> None:
    with pytest.raises(UnreadableImageError):
        decode_image(data)


def test_truncated_jpeg_is_caught_at_decode_time() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(buffer, format="JPEG")
    with pytest.raises(UnreadableImageError):
        decode_image(buffer.getvalue()[:300])


def test_exif_orientation_is_applied() -> None:
    image = Image.new("RGB", (40, 20), (255, 255, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90 degrees clockwise to view
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    assert decode_image(buffer.getvalue()).size == (20, 40)


def test_decode_refuses_unlisted_formats_and_too_many_pixels_before_decoding() -> None:
    gif = io.BytesIO()
    Image.new("L", (10, 10), 255).save(gif, format="GIF")
    with pytest.raises(UnsupportedImageFormatError, match="GIF"):
        decode_image(gif.getvalue())
    big = io.BytesIO()
    Image.new("L", (400, 300), 255).save(big, format="PNG")
    with pytest.raises(TooManyPixelsError, match="120,000 pixels"):
        decode_image(big.getvalue(), max_pixels=100_000)
    assert decode_image(big.getvalue(), max_pixels=120_000).size == (400, 300)


def _encoded(image: Image.Image, format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


def test_a_sixteen_bit_scan_is_scaled_to_eight_bits_not_clipped() -> None:
    eight = np.asarray(scribble(), dtype=np.uint16)
    sixteen = Image.fromarray(eight * 257)  # the same scan at 16 bits per pixel
    decoded = decode_image(_encoded(sixteen))
    assert decoded.mode == "L"
    np.testing.assert_array_equal(np.asarray(decoded), eight)
    torch.testing.assert_close(SIGNATURE.prepare(decoded), SIGNATURE.prepare(scribble()))


def test_pixels_under_a_transparent_alpha_are_not_content() -> None:
    hidden = scribble().convert("RGBA")
    hidden.putalpha(0)
    with pytest.raises(BlankImageError):
        SIGNATURE.prepare(decode_image(_encoded(hidden)))
    # an opaque alpha channel changes nothing
    opaque = scribble().convert("LA")
    torch.testing.assert_close(
        SIGNATURE.prepare(decode_image(_encoded(opaque))), SIGNATURE.prepare(scribble())
    )


@pytest.mark.parametrize("format", ["PNG", "JPEG"])
def test_a_huge_image_is_reduced_to_the_working_side_as_it_is_decoded(format: str) -> None:
    """A 6300 x 6300 page of a few hundred kB must not be processed at 40 MP."""
    page = scribble(width=6300, height=6300, scale=10.0)
    decoded = decode_image(_encoded(page, format), max_side=SIGNATURE.working_side)
    assert max(decoded.size) == SIGNATURE.working_side == 2048
    assert decoded.size == (2048, 2048)
    # the reduced page still shows the same signature as a small scan of it
    small = scribble(width=630, height=630)
    difference = (SIGNATURE.prepare(decoded).float() - SIGNATURE.prepare(small).float()).abs()
    assert difference.mean() < 6
    white = Image.new("L", (6300, 6300), 255)
    with pytest.raises(BlankImageError):
        SIGNATURE.prepare(decode_image(_encoded(white), max_side=SIGNATURE.working_side))


@pytest.mark.parametrize("mode", ["1", "P", "CMYK", "LA", "I;16", "RGBA"])
def test_every_mode_decodes_to_eight_bit_grey_or_rgb(mode: str) -> None:
    image = scribble().convert("RGBA" if mode == "RGBA" else "L")
    if mode != "RGBA":
        image = (
            image.convert(mode)
            if mode != "I;16"
            else Image.fromarray(np.asarray(image, dtype=np.uint16) * 257)
        )
    decoded = decode_image(_encoded(image, "JPEG" if mode == "CMYK" else "PNG"), max_side=300)
    assert decoded.mode in ("L", "RGB")
    assert max(decoded.size) == 300
    assert SIGNATURE.prepare(decoded).shape == (1, 150, 220)
