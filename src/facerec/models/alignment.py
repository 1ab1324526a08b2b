"""Five-point alignment of a face onto ArcFace's 112x112 template.

The same similarity transform and warp as insightface's `norm_crop`, which calls scikit-image's deprecated
`SimilarityTransform.estimate` and so raised a FutureWarning on every face encoded. Crops are identical
(tests/models/test_alignment.py).
"""

import cv2
import numpy as np
import numpy.typing as npt
from insightface.utils.face_align import arcface_dst
from skimage.transform import SimilarityTransform

from facerec.models.faces import ImageArray
from facerec.models.sessions import ALIGNED_FACE_SIDE

# Where the eyes, nose tip and mouth corners sit in an aligned crop (insightface's template).
ARCFACE_TEMPLATE: npt.NDArray[np.float32] = np.asarray(arcface_dst, dtype=np.float32)


def aligned_face(image: ImageArray, landmarks: npt.NDArray[np.float32]) -> ImageArray:
    """The face whose five landmarks are given, rotated, scaled and cropped to the template."""
    side = ALIGNED_FACE_SIDE
    transform = SimilarityTransform.from_estimate(landmarks, ARCFACE_TEMPLATE)
    if not transform:  # degenerate landmarks (all at one point): black, as norm_crop's NaN transform gives
        return np.zeros((side, side, 3), dtype=np.uint8)
    crop = cv2.warpAffine(image, transform.params[:2], (side, side), borderValue=0.0)
    return crop.astype(np.uint8, copy=False)  # already uint8: the warp keeps the input's type
