//! Devices, cameras, catalogue syncs and alarms.

use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::uow::CallKey;
use proto::video::v1 as pb;

use super::{VideoApi, gb_id, page_size};
use crate::application::cameras::{self, CameraFilter, DeviceFilter, RateQuery};
use crate::convert;
use crate::domain::availability::{self, Bucket, Grouping, OnlineRate};
use crate::domain::camera::{ChannelSpec, DeviceSpec, LatLng, Owner, OwnerKind};
use crate::domain::gbid::GbId;

impl VideoApi {
    #[tracing::instrument(skip_all, fields(device_id = %request.device_id))]
    pub(super) async fn put_device(
        &self,
        caller: Caller,
        request: pb::PutDeviceRequest,
    ) -> Result<pb::PutDeviceResponse, AppError> {
        let spec = device_spec(&request)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        cameras::put_device(&self.ctx, &caller, key, spec, |view| {
            pb::PutDeviceResponse {
                device: Some(convert::device(&view.device, &view.cameras)),
                created: view.created,
            }
        })
        .await
    }

    pub(super) async fn get_device(
        &self,
        _caller: Caller,
        request: pb::GetDeviceRequest,
    ) -> Result<pb::GetDeviceResponse, AppError> {
        let id = gb_id(&request.device_id, "device_id")?;
        let view = cameras::get_device(&self.ctx, &id).await?;
        Ok(pb::GetDeviceResponse {
            device: Some(convert::device(&view.device, &view.cameras)),
        })
    }

    pub(super) async fn list_devices(
        &self,
        _caller: Caller,
        request: pb::ListDevicesRequest,
    ) -> Result<pb::ListDevicesResponse, AppError> {
        let limit = page_size(request.page_size, 100, 1000);
        let filter = DeviceFilter {
            owner_kind: convert::owner_kind_from(request.owner_kind),
            status: convert::device_status_from(request.status),
            after: page_token(&request.page_token, "page_token")?,
            limit,
        };
        let devices = cameras::list_devices(&self.ctx, &filter).await?;
        Ok(pb::ListDevicesResponse {
            next_page_token: next_token(
                devices.len(),
                limit,
                devices.last().map(|d| d.id.to_string()),
            ),
            devices: devices.iter().map(|d| convert::device(d, &[])).collect(),
        })
    }

    pub(super) async fn list_cameras(
        &self,
        _caller: Caller,
        request: pb::ListCamerasRequest,
    ) -> Result<pb::ListCamerasResponse, AppError> {
        let limit = page_size(request.page_size, 100, 1000);
        let grid = request.grid_code.trim();
        let filter = CameraFilter {
            kind: convert::camera_kind_from(request.kind),
            owner_kind: convert::owner_kind_from(request.owner_kind),
            grid_code: (!grid.is_empty()).then(|| grid.to_owned()),
            device_status: convert::device_status_from(request.device_status),
            after: page_token(&request.page_token, "page_token")?,
            limit,
        };
        let found = cameras::list_cameras(&self.ctx, &filter).await?;
        Ok(pb::ListCamerasResponse {
            next_page_token: next_token(
                found.len(),
                limit,
                found.last().map(|c| c.camera.id.to_string()),
            ),
            cameras: found.iter().map(convert::camera).collect(),
        })
    }

    pub(super) async fn get_camera(
        &self,
        _caller: Caller,
        request: pb::GetCameraRequest,
    ) -> Result<pb::GetCameraResponse, AppError> {
        let id = gb_id(&request.channel_id, "channel_id")?;
        let camera = cameras::get_camera(&self.ctx, &id).await?;
        Ok(pb::GetCameraResponse {
            camera: Some(convert::camera(&camera)),
        })
    }

    pub(super) async fn summarise_cameras(
        &self,
        _caller: Caller,
        _request: pb::SummariseCamerasRequest,
    ) -> Result<pb::SummariseCamerasResponse, AppError> {
        let s = cameras::summarise(&self.ctx).await?;
        let counts = |rows: &[(String, u32)]| {
            rows.iter()
                .map(|(key, cameras)| pb::CameraCount {
                    key: key.clone(),
                    cameras: *cameras,
                })
                .collect()
        };
        Ok(pb::SummariseCamerasResponse {
            cameras: s.cameras,
            devices: s.devices,
            by_kind: counts(&s.by_kind),
            by_owner: counts(&s.by_owner),
            by_device_status: counts(&s.by_device_status),
            enterprises: s.enterprises,
        })
    }

    pub(super) async fn summarise_online_rate(
        &self,
        _caller: Caller,
        request: pb::SummariseOnlineRateRequest,
    ) -> Result<pb::SummariseOnlineRateResponse, AppError> {
        let query = rate_query(&request, self.ctx.units.now(), self.ctx.offset)?;
        let found = cameras::online_rates(&self.ctx, &query).await?;
        let encode = |rates: &[OnlineRate]| {
            rates
                .iter()
                .map(|r| convert::online_rate(r, found.names.get(&r.key)))
                .collect()
        };
        Ok(pb::SummariseOnlineRateResponse {
            rates: encode(&found.rates),
            totals: encode(&found.totals),
        })
    }

    pub(super) async fn list_catalog_syncs(
        &self,
        _caller: Caller,
        request: pb::ListCatalogSyncsRequest,
    ) -> Result<pb::ListCatalogSyncsResponse, AppError> {
        let id = gb_id(&request.device_id, "device_id")?;
        let syncs = cameras::list_syncs(&self.ctx, &id).await?;
        Ok(pb::ListCatalogSyncsResponse {
            syncs: syncs.iter().map(convert::sync).collect(),
        })
    }

    pub(super) async fn list_alarms(
        &self,
        _caller: Caller,
        request: pb::ListAlarmsRequest,
    ) -> Result<pb::ListAlarmsResponse, AppError> {
        let device = match request.device_id.trim() {
            "" => None,
            id => Some(gb_id(id, "device_id")?),
        };
        let limit = page_size(request.page_size, 100, 1000);
        let alarms =
            cameras::list_alarms(&self.ctx, device.as_ref(), request.unusable_only, limit).await?;
        Ok(pb::ListAlarmsResponse {
            alarms: alarms.iter().map(convert::alarm).collect(),
        })
    }
}

/// Returns the id a page token carries (the last id of the page before).
fn page_token(token: &str, field: &str) -> Result<Option<String>, AppError> {
    match token.trim() {
        "" => Ok(None),
        t => GbId::parse(t)
            .map(|id| Some(id.to_string()))
            .map_err(|_| AppError::invalid(field, "must be a next_page_token as returned")),
    }
}

/// Returns the next page's token: the last id when the page was full.
fn next_token(len: usize, limit: i64, last: Option<String>) -> String {
    if i64::try_from(len).unwrap_or(i64::MAX) >= limit {
        last.unwrap_or_default()
    } else {
        String::new()
    }
}

/// Decodes a PutDevice request.
fn device_spec(request: &pb::PutDeviceRequest) -> Result<DeviceSpec, AppError> {
    let mut violations = Violations::new();
    let id = GbId::front_end(&request.device_id);
    if let Err(rule) = &id {
        violations.add("device_id", rule.clone());
    }
    let name = request.name.trim();
    violations.check(
        !name.is_empty() && name.chars().count() <= 100,
        "name",
        "must be 1-100 characters",
    );
    let owner = request.owner.clone().unwrap_or_default();
    let owner_kind = convert::owner_kind_from(owner.kind);
    violations.check(
        owner_kind.is_some(),
        "owner.kind",
        "must be TOWN or ENTERPRISE",
    );
    let mut channels = Vec::with_capacity(request.channels.len());
    for (i, c) in request.channels.iter().enumerate() {
        if let Some(channel) = channel_spec(c, i, &mut violations) {
            channels.push(channel);
        }
    }
    violations.finish()?;
    let spec = DeviceSpec {
        id: id.map_err(|rule| AppError::invalid("device_id", rule))?,
        name: name.to_owned(),
        owner: Owner {
            kind: owner_kind.unwrap_or(OwnerKind::Town),
            code: owner.code.trim().to_owned(),
            name: owner.name.trim().to_owned(),
        },
        password: Some(request.password.clone()).filter(|p| !p.is_empty()),
        channels,
    };
    spec.check().map_err(AppError::InvalidArgument)?;
    Ok(spec)
}

/// Decodes channel `i`, recording what is wrong with it.
fn channel_spec(c: &pb::ChannelSpec, i: usize, violations: &mut Violations) -> Option<ChannelSpec> {
    let id = GbId::front_end(&c.channel_id);
    if let Err(rule) = &id {
        violations.add(format!("channels[{i}].channel_id"), rule.clone());
    }
    let name = c.name.trim();
    violations.check(
        !name.is_empty() && name.chars().count() <= 100,
        format!("channels[{i}].name"),
        "must be 1-100 characters",
    );
    let kind = convert::camera_kind_from(c.kind);
    violations.check(
        kind.is_some(),
        format!("channels[{i}].kind"),
        "must be GENERAL, CAPTURE, FACE, PLATE or THERMAL",
    );
    let location = c.location.as_ref().map(|l| LatLng {
        lat: l.lat,
        lng: l.lng,
    });
    violations.check(
        location.is_none_or(LatLng::is_known),
        format!("channels[{i}].location"),
        "must be a WGS84 position (lat -90..90, lng -180..180, not 0,0)",
    );
    violations.check(
        c.stream_ref.len() <= 500,
        format!("channels[{i}].stream_ref"),
        "must be at most 500 characters",
    );
    Some(ChannelSpec {
        id: id.ok()?,
        name: name.to_owned(),
        kind: kind?,
        location,
        stream_ref: c.stream_ref.trim().to_owned(),
    })
}

/// Returns the window, buckets and grouping a SummariseOnlineRate asks
/// for, every broken rule named at once.
fn rate_query(
    request: &pb::SummariseOnlineRateRequest,
    now: chrono::DateTime<chrono::Utc>,
    offset: chrono::FixedOffset,
) -> Result<RateQuery, AppError> {
    let mut v = Violations::new();
    let from = request.from.as_ref().and_then(convert::from_timestamp);
    v.check(from.is_some(), "from", "is required");
    let to = match &request.to {
        None => Some(now),
        Some(ts) => convert::from_timestamp(ts),
    };
    v.check(to.is_some(), "to", "must be a valid time");
    let bucket = match pb::RateBucket::try_from(request.bucket) {
        Ok(pb::RateBucket::Hour) => Some(Bucket::Hour),
        Ok(pb::RateBucket::Day) => Some(Bucket::Day),
        _ => None,
    };
    v.check(
        bucket.is_some(),
        "bucket",
        "must be RATE_BUCKET_HOUR or RATE_BUCKET_DAY",
    );
    let by = match pb::RateGrouping::try_from(request.group_by) {
        Ok(pb::RateGrouping::Owner) => Some(Grouping::Owner),
        Ok(pb::RateGrouping::Grid) => Some(Grouping::Grid),
        _ => None,
    };
    v.check(
        by.is_some(),
        "group_by",
        "must be RATE_GROUPING_OWNER or RATE_GROUPING_GRID",
    );
    if let (Some(from), Some(to), Some(bucket)) = (from, to, bucket) {
        v.check(from < to, "to", "must be after from");
        let first = bucket.start_of(from, offset);
        let most = match bucket {
            Bucket::Hour => chrono::TimeDelta::hours(availability::MAX_BUCKETS as i64),
            Bucket::Day => chrono::TimeDelta::days(availability::MAX_BUCKETS as i64),
        };
        v.check(
            to - first <= most,
            "to",
            format!(
                "must be at most {} buckets after from",
                availability::MAX_BUCKETS
            ),
        );
    }
    v.finish()?;
    match (from, to, bucket, by) {
        (Some(from), Some(to), Some(bucket), Some(by)) => Ok(RateQuery {
            from,
            to,
            bucket,
            by,
        }),
        _ => Err(AppError::invalid("request", "is incomplete")),
    }
}
