"""How usable a detected face is for recognition: detector confidence, size, sharpness and head pose.

The scores are measured on every face, in the inference thread, from the detection and the aligned 112x112
crop the embedding is made from. `QualityBar` turns them into named reasons (docs/ACCURACY.md, "Face
quality").
"""

import math
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt

# SCRFD's nose point sits this far down from the eye line towards the mouth line on frontal portraits
# (median over faces-deepface); the pitch estimate is 0 there.
_NEUTRAL_NOSE_HEIGHT = 0.58
# Nose-tip depth in front of the eyes, in half eye distances (yaw) and in eye-to-mouth distances (pitch):
# the lever arms that turn landmark offsets into angles.
_NOSE_DEPTH_YAW = 1.0
_NOSE_DEPTH_PITCH = 0.5


class QualityReason(StrEnum):
    FACE_TOO_SMALL = "face_too_small"
    BLURRY = "blurry"
    EXTREME_POSE = "extreme_pose"
    LOW_CONFIDENCE = "low_confidence"


@dataclass(frozen=True)
class Pose:
    """Head pose in degrees, estimated from the five landmarks (rough: about ±10° near frontal)."""

    yaw: float  # turned left (-) or right (+)
    pitch: float  # looking down (+) or up (-)
    roll: float  # in-plane tilt of the eye line


@dataclass(frozen=True)
class FaceQuality:
    det_score: float
    face_size: float  # px: the shorter side of the face box
    sharpness: float  # 0 (flat) to 1: Laplacian variance over intensity variance of the aligned crop
    pose: Pose


@dataclass(frozen=True)
class QualityBar:
    """The least a face must reach; below it, the face gets the matching reason."""

    min_det_score: float
    min_face_size: float
    min_sharpness: float
    max_yaw: float
    max_pitch: float
    max_roll: float

    def reasons(self, quality: FaceQuality) -> list[QualityReason]:
        pose = quality.pose
        checks = {
            QualityReason.LOW_CONFIDENCE: quality.det_score < self.min_det_score,
            QualityReason.FACE_TOO_SMALL: quality.face_size < self.min_face_size,
            QualityReason.BLURRY: quality.sharpness < self.min_sharpness,
            QualityReason.EXTREME_POSE: abs(pose.yaw) > self.max_yaw
            or abs(pose.pitch) > self.max_pitch
            or abs(pose.roll) > self.max_roll,
        }
        return [reason for reason, failed in checks.items() if failed]

    def explain(self, reason: QualityReason, quality: FaceQuality) -> str:
        pose = quality.pose
        return {
            QualityReason.LOW_CONFIDENCE: f"detector confidence {quality.det_score:.2f} is below "
            f"{self.min_det_score:.2f}",
            QualityReason.FACE_TOO_SMALL: f"the face is {quality.face_size:.0f} px; at least "
            f"{self.min_face_size:.0f} px is needed",
            QualityReason.BLURRY: f"sharpness {quality.sharpness:.3f} is below {self.min_sharpness:.3f}",
            QualityReason.EXTREME_POSE: f"head pose yaw {pose.yaw:.0f}°, pitch {pose.pitch:.0f}°, roll "
            f"{pose.roll:.0f}° is beyond {self.max_yaw:.0f}°, {self.max_pitch:.0f}°, {self.max_roll:.0f}°",
        }[reason]


def sharpness(aligned: npt.NDArray[np.uint8]) -> float:
    """Variance of the Laplacian over the variance of the intensities, capped at 1.

    Dividing by the contrast keeps lighting out of it; crisp photo faces read 0.05 to 0.6.
    """
    gray = cv2.cvtColor(aligned, cv2.COLOR_BGR2GRAY).astype(np.float64)
    contrast = float(gray.var())
    if contrast == 0:
        return 0.0
    return min(1.0, float(cv2.Laplacian(gray, cv2.CV_64F).var()) / contrast)


def estimate_pose(landmarks: npt.NDArray[np.float32]) -> Pose:
    """Roll from the eye line; then, with the tilt undone, yaw from how far the nose sits off the
    face's midline and pitch from how far it sits between the eye and mouth lines."""
    points = landmarks.astype(np.float64)
    left_eye, right_eye = points[0], points[1]
    dx, dy = right_eye - left_eye
    roll = math.atan2(dy, dx)
    cos, sin = math.cos(-roll), math.sin(-roll)
    upright = (points - left_eye) @ np.array([[cos, -sin], [sin, cos]]).T
    eyes = (upright[0] + upright[1]) / 2
    mouth = (upright[3] + upright[4]) / 2
    nose = upright[2]
    half_eye_distance = max(float(upright[1][0] - upright[0][0]) / 2, 1e-6)
    eye_to_mouth = max(float(mouth[1] - eyes[1]), 1e-6)
    across = (nose[0] - (eyes[0] + mouth[0]) / 2) / half_eye_distance
    down = (nose[1] - eyes[1]) / eye_to_mouth - _NEUTRAL_NOSE_HEIGHT
    return Pose(
        yaw=math.degrees(math.atan(across / _NOSE_DEPTH_YAW)),
        pitch=math.degrees(math.atan(down / _NOSE_DEPTH_PITCH)),
        roll=math.degrees(roll),
    )
